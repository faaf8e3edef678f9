using Sp.Tlog;

namespace Sp.Tlog.Tests;

/// <summary>
/// Prove-then-verify over every (index, size) and (size1, size2) up to <see cref="MaxSize"/>, cross-checked with
/// the literal RFC 9162 reference, and every single alteration of a proof, leaf, index, size or root rejected.
/// </summary>
public sealed class ProofPropertyTests
{
    private const int MaxSize = 300;

    private static readonly byte[][] Entries = Helpers.Entries(MaxSize);
    private static readonly ReferenceTree Reference = new(Entries);
    private static readonly Dictionary<NodeId, NodeHash> Stored = Helpers.StoredNodes(Entries);

    /// <summary>
    /// Every altered proof node is checked for every pair; the alterations that go through exceptions (leaf, root,
    /// index, sizes, length) for every pair up to 100 leaves and every third pair above, to keep the suite fast.
    /// </summary>
    private static bool ExhaustiveFor(int size, int other) => size <= 100 || other % 3 == 0;

    [Fact]
    public void Every_Inclusion_Proof_Matches_Reference_And_Verifies()
    {
        var fetch = Helpers.Fetch(Stored);
        for (var size = 1; size <= MaxSize; size++)
        {
            var root = Reference.Root(size);
            for (var index = 0; index < size; index++)
            {
                var proof = Proofs.Inclusion(index, size, fetch);
                Assert.Equal(Reference.InclusionProof(index, size), proof);
                ProofVerifier.VerifyInclusion(Reference.Leaf(index), index, size, proof, root);
            }
        }
    }

    [Fact]
    public void Every_Consistency_Proof_Matches_Reference_And_Verifies()
    {
        var fetch = Helpers.Fetch(Stored);
        for (var size2 = 1; size2 <= MaxSize; size2++)
        {
            var root2 = Reference.Root(size2);
            for (var size1 = 0; size1 <= size2; size1++)
            {
                var proof = Proofs.Consistency(size1, size2, fetch);
                if (size1 > 0)
                {
                    Assert.Equal(Reference.ConsistencyProof(size1, size2), proof);
                }
                else
                {
                    Assert.Empty(proof);
                }
                ProofVerifier.VerifyConsistency(size1, size2, proof, Reference.Root(size1), root2);
            }
        }
    }

    [Fact]
    public void Altered_Inclusion_Proofs_Fail()
    {
        var fetch = Helpers.Fetch(Stored);
        for (var size = 1; size <= MaxSize; size++)
        {
            var root = Reference.Root(size);
            for (var index = 0; index < size; index++)
            {
                var proof = Proofs.Inclusion(index, size, fetch);
                var leaf = Reference.Leaf(index);
                for (var i = 0; i < proof.Length; i++)
                {
                    var altered = (NodeHash[])proof.Clone();
                    altered[i] = Helpers.Flip(altered[i], index + i);
                    // RootFromInclusionProof is VerifyInclusion without the exception, which keeps this loop fast.
                    Assert.NotEqual(root, ProofVerifier.RootFromInclusionProof(leaf, index, size, altered));
                }
                if (!ExhaustiveFor(size, index))
                {
                    continue;
                }
                if (proof.Length > 0)
                {
                    var e = Assert.Throws<RootMismatchException>(() => ProofVerifier.VerifyInclusion(leaf, index, size, [Helpers.Flip(proof[0]), .. proof[1..]], root));
                    Assert.Equal(root, e.Expected);
                    Assert.NotEqual(root, e.Computed);
                }
                Assert.Throws<RootMismatchException>(() => ProofVerifier.VerifyInclusion(Helpers.Flip(leaf, size), index, size, proof, root));
                Assert.Throws<RootMismatchException>(() => ProofVerifier.VerifyInclusion(leaf, index, size, proof, Helpers.Flip(root, index)));
                Assert.Throws<ProofLengthException>(() => ProofVerifier.VerifyInclusion(leaf, index, size, [.. proof, root], root));
                if (proof.Length > 0)
                {
                    Assert.Throws<ProofLengthException>(() => ProofVerifier.VerifyInclusion(leaf, index, size, proof[..^1], root));
                }
                foreach (var otherIndex in new[] { index - 1, index + 1 })
                {
                    if (otherIndex >= 0 && otherIndex < size)
                    {
                        Assert.ThrowsAny<InvalidProofException>(() => ProofVerifier.VerifyInclusion(leaf, otherIndex, size, proof, root));
                    }
                }
                Assert.ThrowsAny<InvalidProofException>(() => ProofVerifier.VerifyInclusion(leaf, size, size, proof, root));
                // Another size, with that size's true root: the proof must not carry over unless it really is
                // the proof for that size too.
                foreach (var otherSize in new[] { size - 1, size + 1 })
                {
                    if (otherSize > index && otherSize <= MaxSize
                        && !Reference.InclusionProof(index, otherSize).SequenceEqual(proof))
                    {
                        Assert.ThrowsAny<InvalidProofException>(() => ProofVerifier.VerifyInclusion(leaf, index, otherSize, proof, Reference.Root(otherSize)));
                    }
                }
            }
        }
    }

    [Fact]
    public void Altered_Consistency_Proofs_Fail()
    {
        var fetch = Helpers.Fetch(Stored);
        for (var size2 = 1; size2 <= MaxSize; size2++)
        {
            var root2 = Reference.Root(size2);
            for (var size1 = 1; size1 <= size2; size1++)
            {
                var root1 = Reference.Root(size1);
                var proof = Proofs.Consistency(size1, size2, fetch);
                for (var i = 0; i < proof.Length; i++)
                {
                    var altered = (NodeHash[])proof.Clone();
                    altered[i] = Helpers.Flip(altered[i], size1 + i);
                    if (size1 == size2)
                    {
                        continue;
                    }
                    var (computed1, computed2) = ProofVerifier.RootsFromConsistencyProof(size1, size2, altered, root1);
                    Assert.False(computed1 == root1 && computed2 == root2, $"altered node {i} of proof {size1} -> {size2} verified");
                }
                if (!ExhaustiveFor(size2, size1))
                {
                    continue;
                }
                if (proof.Length > 0)
                {
                    Assert.Throws<RootMismatchException>(() => ProofVerifier.VerifyConsistency(size1, size2, [.. proof[..^1], Helpers.Flip(proof[^1])], root1, root2));
                }
                Assert.Throws<RootMismatchException>(() => ProofVerifier.VerifyConsistency(size1, size2, proof, Helpers.Flip(root1, size2), root2));
                Assert.Throws<RootMismatchException>(() => ProofVerifier.VerifyConsistency(size1, size2, proof, root1, Helpers.Flip(root2, size1)));
                Assert.Throws<ProofLengthException>(() => ProofVerifier.VerifyConsistency(size1, size2, [.. proof, root1], root1, root2));
                if (proof.Length > 0)
                {
                    Assert.Throws<ProofLengthException>(() => ProofVerifier.VerifyConsistency(size1, size2, proof[..^1], root1, root2));
                }
                foreach (var (other1, other2) in new[] { (size1 - 1, size2), (size1 + 1, size2), (size1, size2 - 1), (size1, size2 + 1) })
                {
                    if (other1 >= 1 && other1 <= other2 && other2 <= MaxSize && (other1, other2) != (size1, size2)
                        && !Reference.ConsistencyProof(other1, other2).SequenceEqual(proof))
                    {
                        Assert.ThrowsAny<InvalidProofException>(() => ProofVerifier.VerifyConsistency(other1, other2, proof, Reference.Root(other1), Reference.Root(other2)));
                    }
                }
            }
        }
    }

    [Fact]
    public void Proof_Lengths_Computed_Without_Allocating_Match_The_Node_Lists()
    {
        for (var size = 1; size <= MaxSize; size++)
        {
            for (var i = 0; i < size; i++)
            {
                Assert.Equal(Proofs.InclusionNodes(i, size).ProofLength, Proofs.InclusionProofLength(i, size));
            }
            for (var size1 = 0; size1 <= size; size1++)
            {
                Assert.Equal(Proofs.ConsistencyNodes(size1, size).ProofLength, Proofs.ConsistencyProofLength(size1, size));
            }
        }
        Assert.Equal(20, Proofs.InclusionProofLength(0, 1_000_000));
        Assert.Equal(12, Proofs.InclusionProofLength(999_999, 1_000_000)); // popcount(999,999): all border
    }

    [Fact]
    public void Consistency_From_Empty_Tree_Needs_Empty_Root_And_Empty_Proof()
    {
        var root = Reference.Root(5);
        ProofVerifier.VerifyConsistency(0, 5, [], MerkleHash.Empty, root);
        Assert.Throws<RootMismatchException>(() => ProofVerifier.VerifyConsistency(0, 5, [], root, root));
        Assert.Throws<ProofLengthException>(() => ProofVerifier.VerifyConsistency(0, 5, [root], MerkleHash.Empty, root));
    }

    [Fact]
    public void Out_Of_Range_Arguments_Are_Rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Proofs.InclusionNodes(5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Proofs.InclusionNodes(-1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Proofs.ConsistencyNodes(6, 5));
        var e = Assert.ThrowsAny<InvalidProofException>(() => ProofVerifier.VerifyInclusion(Reference.Leaf(0), 3, 3, [], Reference.Root(3)));
        Assert.Contains("out of range", e.Message, StringComparison.Ordinal);
        var length = Assert.Throws<ProofLengthException>(() => ProofVerifier.VerifyInclusion(Reference.Leaf(0), 0, 8, [Reference.Leaf(1)], Reference.Root(8)));
        Assert.Equal((1, 3), (length.Got, length.Want));
        Assert.Equal("wrong inclusion proof size 1, want 3", length.Message);
    }

    [Fact]
    public void Proof_Nodes_Of_A_Million_Leaves_Are_Logarithmic_With_One_Ephemeral_Element()
    {
        const long size = 1_000_000;
        var inclusion = Proofs.InclusionNodes(999_999, size);
        Assert.Equal(inclusion.ProofLength, inclusion.Ids.Count - (inclusion.EphemeralEnd - inclusion.EphemeralBegin) + (inclusion.EphemeralEnd > inclusion.EphemeralBegin ? 1 : 0));
        Assert.True(inclusion.ProofLength <= 20, $"proof length {inclusion.ProofLength}");
        var consistency = Proofs.ConsistencyNodes(700_001, size);
        Assert.True(consistency.ProofLength <= 40, $"proof length {consistency.ProofLength}");
        foreach (var id in consistency.Ids)
        {
            Assert.True(id.Coverage().End <= size, $"{id} is outside the tree");
        }
    }
}
