namespace Sp.Tlog;

/// <summary>
/// Verifies inclusion and consistency proofs (RFC 9162 §2.1.3.2 and §2.1.4.2) with no storage at all,
/// so a client can check proofs offline. Every failure is an <see cref="InvalidProofException"/>;
/// a wrong root is a <see cref="RootMismatchException"/> carrying both roots.
/// </summary>
public static class ProofVerifier
{
    /// <summary>Checks that <paramref name="leafHash"/> is leaf <paramref name="index"/> of the tree of <paramref name="size"/> leaves with <paramref name="root"/>.</summary>
    public static void VerifyInclusion(NodeHash leafHash, long index, long size, IReadOnlyList<NodeHash> proof, NodeHash root)
    {
        RequireHash(root, nameof(root));
        var computed = RootFromInclusionProof(leafHash, index, size, proof);
        if (computed != root)
        {
            throw new RootMismatchException("inclusion proof root", computed, root);
        }
    }

    /// <summary>
    /// The root that an inclusion proof implies for <paramref name="leafHash"/> at <paramref name="index"/> in a
    /// tree of <paramref name="size"/> leaves. Compare it with a trusted root, or use <see cref="VerifyInclusion"/>.
    /// </summary>
    public static NodeHash RootFromInclusionProof(NodeHash leafHash, long index, long size, IReadOnlyList<NodeHash> proof)
    {
        RequireHash(leafHash, nameof(leafHash));
        ArgumentNullException.ThrowIfNull(proof);
        if (index < 0 || index >= size)
        {
            throw new InvalidProofException($"leaf index {index} is out of range for tree size {size}");
        }
        var want = Proofs.InclusionProofLength(index, size);
        if (proof.Count != want)
        {
            throw new ProofLengthException("inclusion", proof.Count, want);
        }
        RequireHashes(proof);

        // RFC 9162 §2.1.3.2, step by step.
        long fn = index, sn = size - 1;
        var r = leafHash;
        foreach (var p in proof)
        {
            if (sn == 0)
            {
                throw new InvalidProofException($"inclusion proof for index {index} in tree size {size} is too long");
            }
            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.Node(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = MerkleHash.Node(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0)
        {
            throw new InvalidProofException($"inclusion proof for index {index} in tree size {size} is too short");
        }
        return r;
    }

    /// <summary>
    /// Checks that the tree of <paramref name="size2"/> leaves with <paramref name="root2"/> extends the tree of
    /// <paramref name="size1"/> leaves with <paramref name="root1"/>.
    /// </summary>
    public static void VerifyConsistency(long size1, long size2, IReadOnlyList<NodeHash> proof, NodeHash root1, NodeHash root2)
    {
        RequireHash(root1, nameof(root1));
        RequireHash(root2, nameof(root2));
        ArgumentNullException.ThrowIfNull(proof);
        if (size1 < 0 || size2 < size1)
        {
            throw new InvalidProofException($"consistency needs 0 <= size1 <= size2, got size1 {size1} and size2 {size2}");
        }
        var want = Proofs.ConsistencyProofLength(size1, size2);
        if (proof.Count != want)
        {
            throw new ProofLengthException("consistency", proof.Count, want);
        }
        RequireHashes(proof);
        if (size1 == size2)
        {
            if (root1 != root2)
            {
                throw new RootMismatchException($"root of tree size {size2}", root2, root1);
            }
            return;
        }
        if (size1 == 0)
        {
            // Every tree extends the empty tree; only its root is fixed.
            if (root1 != MerkleHash.Empty)
            {
                throw new RootMismatchException("root of tree size 0", root1, MerkleHash.Empty);
            }
            return;
        }
        var (computed1, computed2) = RootsFromConsistencyProof(size1, size2, proof, root1);
        if (computed1 != root1)
        {
            throw new RootMismatchException($"consistency proof root of old tree size {size1}", computed1, root1);
        }
        if (computed2 != root2)
        {
            throw new RootMismatchException($"consistency proof root of new tree size {size2}", computed2, root2);
        }
    }

    /// <summary>
    /// The roots of both trees that a consistency proof implies (RFC 9162 §2.1.4.2), given the old root (needed
    /// only when <paramref name="size1"/> is a power of two, where the proof omits it). Requires 0 &lt; size1 &lt; size2.
    /// </summary>
    public static (NodeHash Root1, NodeHash Root2) RootsFromConsistencyProof(long size1, long size2, IReadOnlyList<NodeHash> proof, NodeHash root1)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (size1 <= 0 || size2 <= size1)
        {
            throw new InvalidProofException($"consistency roots need 0 < size1 < size2, got size1 {size1} and size2 {size2}");
        }
        var want = Proofs.ConsistencyProofLength(size1, size2);
        if (proof.Count != want)
        {
            throw new ProofLengthException("consistency", proof.Count, want);
        }
        RequireHashes(proof);

        var path = new List<NodeHash>(proof.Count + 1);
        if ((size1 & (size1 - 1)) == 0)
        {
            RequireHash(root1, nameof(root1));
            path.Add(root1);
        }
        path.AddRange(proof);

        long fn = size1 - 1, sn = size2 - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }
        var fr = path[0];
        var sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
            {
                throw new InvalidProofException($"consistency proof from {size1} to {size2} is too long");
            }
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.Node(c, fr);
                sr = MerkleHash.Node(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = MerkleHash.Node(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0)
        {
            throw new InvalidProofException($"consistency proof from {size1} to {size2} is too short");
        }
        return (fr, sr);
    }

    private static void RequireHash(NodeHash hash, string name)
    {
        if (hash.IsDefault)
        {
            throw new ArgumentException("a hash is required, got default(NodeHash)", name);
        }
    }

    private static void RequireHashes(IReadOnlyList<NodeHash> proof)
    {
        for (var i = 0; i < proof.Count; i++)
        {
            if (proof[i].IsDefault)
            {
                throw new InvalidProofException($"proof hash {i} is missing");
            }
        }
    }
}
