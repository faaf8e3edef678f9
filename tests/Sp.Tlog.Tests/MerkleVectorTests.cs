using Sp.Tlog;

namespace Sp.Tlog.Tests;

/// <summary>RFC 6962 vectors from the transparency-dev/merkle suite (tests/testdata/merkle).</summary>
public sealed class MerkleVectorTests
{
    private static readonly System.Text.Json.JsonElement Vectors = TestData.Json("merkle", "rfc6962-vectors.json");

    private static byte[][] Leaves => [.. Vectors.GetProperty("leaves_hex").EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!))];

    [Fact]
    public void Empty_Root_Is_Sha256_Of_Nothing()
    {
        Assert.Equal(Vectors.GetProperty("roots").GetProperty("0").GetString(), MerkleHash.Empty.ToHex());
        Assert.Equal(MerkleHash.Empty, new CompactRange().Root());
    }

    [Fact]
    public void Roots_Of_Every_Prefix_Match_RFC6962_Vectors()
    {
        var leaves = Leaves;
        foreach (var root in Vectors.GetProperty("roots").EnumerateObject())
        {
            var n = int.Parse(root.Name, System.Globalization.CultureInfo.InvariantCulture);
            var want = NodeHash.FromHex(root.Value.GetString()!);
            Assert.Equal(want, MerkleHash.RootOf([.. leaves.Take(n).Select(l => MerkleHash.Leaf(l))]));
            Assert.Equal(want, new ReferenceTree(leaves).Root(n));
        }
    }

    [Fact]
    public void Leaf_And_Node_Hashes_Use_Domain_Prefixes()
    {
        // Leaf "" → SHA-256(0x00); the root of one leaf is that leaf hash.
        Assert.Equal("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", MerkleHash.Leaf([]).ToHex());
        var l0 = MerkleHash.Leaf([]);
        var l1 = MerkleHash.Leaf([0x00]);
        Assert.Equal(Vectors.GetProperty("roots").GetProperty("2").GetString(), MerkleHash.Node(l0, l1).ToHex());
        Assert.NotEqual(MerkleHash.Node(l0, l1), MerkleHash.Node(l1, l0));
    }

    [Fact]
    public void Inclusion_Proofs_Match_Vectors_And_Verify()
    {
        var leaves = Leaves;
        var nodes = Helpers.StoredNodes(leaves);
        var roots = Vectors.GetProperty("roots");
        foreach (var v in Vectors.GetProperty("inclusion_proofs").EnumerateArray())
        {
            var index = v.GetProperty("leaf_index").GetInt64();
            var size = v.GetProperty("tree_size").GetInt64();
            var want = TestData.Hashes(v.GetProperty("proof"), NodeHash.FromHex);
            var proof = Proofs.Inclusion(index, size, Helpers.Fetch(nodes));
            Assert.Equal(want, proof);
            var root = NodeHash.FromHex(roots.GetProperty(size.ToString(System.Globalization.CultureInfo.InvariantCulture)).GetString()!);
            ProofVerifier.VerifyInclusion(MerkleHash.Leaf(leaves[index]), index, size, want, root);
        }
    }

    [Fact]
    public void Consistency_Proofs_Match_Vectors_And_Verify()
    {
        var leaves = Leaves;
        var nodes = Helpers.StoredNodes(leaves);
        var roots = Vectors.GetProperty("roots");
        foreach (var v in Vectors.GetProperty("consistency_proofs").EnumerateArray())
        {
            var size1 = v.GetProperty("size1").GetInt64();
            var size2 = v.GetProperty("size2").GetInt64();
            var want = TestData.Hashes(v.GetProperty("proof"), NodeHash.FromHex);
            // The published vector for size1 == size2 == 1 lists an empty proof.
            Assert.Equal(want, Proofs.Consistency(size1, size2, Helpers.Fetch(nodes)));
            var root1 = NodeHash.FromHex(roots.GetProperty(size1.ToString(System.Globalization.CultureInfo.InvariantCulture)).GetString()!);
            var root2 = NodeHash.FromHex(roots.GetProperty(size2.ToString(System.Globalization.CultureInfo.InvariantCulture)).GetString()!);
            ProofVerifier.VerifyConsistency(size1, size2, want, root1, root2);
        }
    }
}
