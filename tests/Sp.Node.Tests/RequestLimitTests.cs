using System.Text;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Ledger.Transactions;
using Xunit.Abstractions;

namespace Sp.Node.Tests;

/// <summary>Request bodies are capped before they are read: a huge transaction is answered 413 and costs the node no memory.</summary>
public sealed class RequestLimitTests(ITestOutputHelper output)
{
    private const long Limit = 1L << 20; // node.json limits.requestBytes, the default

    /// <summary>
    /// A well-formed transaction (valid JSON of the signed-transaction shape) whose payload holds <paramref name="size"/>
    /// bytes in all, produced 64 KiB at a time. Its signature is a placeholder: the size is refused before any
    /// signature is looked at.
    /// </summary>
    private static IEnumerable<ReadOnlyMemory<byte>> HugeTransaction(long size, Address from)
    {
        var head = Encoding.UTF8.GetBytes($"{{\"tx\":{{\"network\":\"{NodeProcess.Network}\",\"from\":\"{from.Lower}\",\"nonce\":0,\"type\":\"{TxTypes.ProviderCreate}\",\"payload\":{{\"name\":\"");
        var tail = Encoding.UTF8.GetBytes($"\",\"description\":\"d\"}}}},\"signature\":\"0x{new string('1', 130)}\"}}");
        yield return head;
        var filler = new byte[64 * 1024];
        Array.Fill(filler, (byte)'a');
        for (var left = size - head.Length - tail.Length; left > 0; left -= filler.Length)
            yield return filler.AsMemory(0, (int)Math.Min(left, filler.Length));
        yield return tail;
    }

    [Fact]
    public async Task A_150_MB_transaction_is_answered_413_and_the_nodes_memory_stays_flat()
    {
        await using var node = await NodeProcess.StartAsync();
        using var key = AccountKey.Generate();
        const long size = 150L << 20;
        Assert.True(HugeTransaction(size, key.Address).Sum(p => (long)p.Length) == size);

        // Warm up the paths involved (a transaction accepted, one refused for its size both ways) before measuring.
        await node.Client.SendAsync(key, NodeProcess.Network, new ProviderCreate("p", "d"));
        await RawHttp.SendAsync(node.Port, "POST", "/api/transactions", HugeTransaction(2 * Limit, key.Address), 2 * Limit);
        await RawHttp.SendAsync(node.Port, "POST", "/api/transactions", HugeTransaction(2 * Limit, key.Address), null);
        var height = (await node.Client.GetInfoAsync()).Height;
        var before = node.ResidentBytes();

        var declared = await RawHttp.SendAsync(node.Port, "POST", "/api/transactions", HugeTransaction(size, key.Address), size);
        var chunked = await RawHttp.SendAsync(node.Port, "POST", "/api/transactions", HugeTransaction(size, key.Address), declaredLength: null);
        var after = node.ResidentBytes();
        output.WriteLine($"sp-node VmRSS before {before >> 10} KiB, after {after >> 10} KiB (declared length: {declared.BodyBytesSent} body bytes sent before the answer; chunked: {chunked.BodyBytesSent})");

        foreach (var answer in new[] { declared, chunked })
        {
            Assert.Equal(413, answer.Status);
            Assert.Contains($"at most {Limit} bytes", answer.Body);
        }
        // Had the body been read, the node would hold at least its 150 MiB (more as a .NET string).
        Assert.True(after - before < 32L << 20, $"sp-node grew from {before} to {after} bytes of resident memory");
        Assert.Equal(height, (await node.Client.GetInfoAsync()).Height); // nothing reached the ledger
        var next = await node.Client.SendAsync(key, NodeProcess.Network, new ProviderUpdate("p2", "d"));
        Assert.Equal(height + 1, next.Seq); // and the node goes on serving
    }

    [Fact]
    public async Task Other_endpoints_are_capped_too_and_a_body_within_the_limit_is_read()
    {
        await using var node = await NodeProcess.StartAsync(new() { ["requestBytes"] = 4096 });
        using var key = AccountKey.Generate();
        var tooLong = await RawHttp.SendAsync(node.Port, "POST", "/api/ca/tee", HugeTransaction(8192, key.Address), 8192);
        Assert.Equal(413, tooLong.Status);
        Assert.Contains("at most 4096 bytes", tooLong.Body);
        var unknownPath = await RawHttp.SendAsync(node.Port, "POST", "/api/nothing-here", HugeTransaction(8192, key.Address), 8192);
        Assert.Equal(413, unknownPath.Status);

        // A signed transaction under the limit goes through, and one over it does not, whatever its signature.
        var small = await node.Client.SendAsync(key, NodeProcess.Network, new ProviderCreate("p", "d"));
        Assert.Equal(1, small.Seq);
        var large = SignedTransaction.Sign(Transaction.Create(NodeProcess.Network, key.Address, 1, new ProviderUpdate(new string('x', 5000), "d")), key);
        var e = await Assert.ThrowsAsync<NodeRefusedError>(() => node.Client.SubmitAsync(large));
        Assert.Contains("request body too large: at most 4096 bytes", e.Message);
        Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, e.Status);
        Assert.Equal(1, (await node.Client.GetInfoAsync()).Height);
    }
}
