namespace Sp.Tlog;

/// <summary>
/// Names a complete (perfect) subtree of a log Merkle tree: the node at <see cref="Level"/> (0 = leaves)
/// and <see cref="Index"/> covers leaves <c>[Index &lt;&lt; Level, (Index + 1) &lt;&lt; Level)</c>.
/// </summary>
public readonly record struct NodeId
{
    /// <summary>Highest level whose coverage still fits a non-negative <see cref="long"/> leaf index.</summary>
    public const int MaxLevel = 62;

    public NodeId(int level, long index)
    {
        if (level < 0 || level > MaxLevel)
        {
            throw new ArgumentOutOfRangeException(nameof(level), $"node level must be in [0, {MaxLevel}], got {level}");
        }
        if (index < 0 || index > (long.MaxValue >> level))
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"node index must be in [0, {long.MaxValue >> level}] at level {level}, got {index}");
        }
        Level = level;
        Index = index;
    }

    public int Level { get; }

    public long Index { get; }

    /// <summary>The leaf range <c>[begin, end)</c> under this node.</summary>
    public (long Begin, long End) Coverage() => (Index << Level, (Index + 1) << Level);

    public NodeId Parent() => new(Level + 1, Index >> 1);

    public NodeId Sibling() => new(Level, Index ^ 1);

    public override string ToString() => $"[{Level}, {Index}]";
}
