using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sp.Client;
using Sp.Client.Ledger;
using Sp.Ledger.Log;
using Sp.Ledger.Service;
using Sp.Ledger.Tests;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// The node's snapshot against whoever can write its database (docs/ledger.md, "Snapshots"): a state rewritten with
/// its digest is refused at start (the node's signature does not verify) and the node serves the true state after a
/// full replay; a snapshot that carries the node's signature but another state is caught by the background audit,
/// which stops the node (exit 1) naming both digests.
/// </summary>
public sealed partial class LedgerLogTests
{
    [Fact]
    public Task A_snapshot_rewritten_in_the_nodes_sqlite_database_is_refused_and_the_true_state_served() =>
        SnapshotRewrittenAsync([], Sqlite);

    [Fact]
    public Task A_snapshot_rewritten_in_the_nodes_postgresql_database_is_refused_and_the_true_state_served()
    {
        var database = postgres.CreateDatabase();
        return SnapshotRewrittenAsync(["--store", "postgres", "--postgres", database], _ => new NpgsqlConnection(database));
    }

    private async Task SnapshotRewrittenAsync(string[] initOptions, Func<NodeProcess, DbConnection> openStore)
    {
        await using var node = await NodeProcess.InitAsync(Path.Combine(_work, "node"), initOptions);
        await node.StartAsync();
        await SendAsync(node, 20);
        using var client = new NodeClient(node.Url);
        var before = await ClientLog.NodeDigestAsync(client);
        await node.StopAsync(); // writes the snapshot at 20

        // What a database operator can do without the node's key: change the state and the digest beside it.
        Forge(openStore(node), key: null);
        await node.StartAsync();
        Assert.Contains("ledger snapshot not used: its signature does not verify under the node's log key", node.Output);
        Assert.Contains("full replay of 20 entries", node.Output);
        Assert.Equal(before, await ClientLog.NodeDigestAsync(client));
    }

    [Fact]
    public async Task A_snapshot_signed_with_the_nodes_key_but_another_state_stops_the_node_at_the_background_audit()
    {
        await using var node = await NodeProcess.InitAsync(Path.Combine(_work, "node"));
        await node.StartAsync();
        await SendAsync(node, 20);
        using var client = new NodeClient(node.Url);
        var before = await ClientLog.NodeDigestAsync(client);
        await node.StopAsync();

        // With the node's own key (a bug, or a key that leaked) the snapshot is used at start: the audit must catch it.
        var forged = Forge(Sqlite(node), LogKeyFile.Load(Path.Combine(node.Dir, "log-key")));
        Assert.Equal(1, await node.RunUntilExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("ledger started from its snapshot at height 20", node.Output);
        Assert.Contains($"replaying entries 1..20 gives state digest {before.Digest}", node.Output);
        Assert.Contains($"holds a state of digest {forged}", node.Output);
    }

    private static DbConnection Sqlite(NodeProcess node) =>
        new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(node.Dir, "ledger.db"), Pooling = false }.ToString());

    /// <summary>Rewrites the stored snapshot's row (the node stopped) with SQL, as the database's operator can: the state
    /// with one token more minted, its matching digest, and a signature by <paramref name="key"/> or the old one.
    /// Returns the forged digest.</summary>
    private static string Forge(DbConnection db, Sp.Tlog.NoteSigner? key)
    {
        using (db)
        {
            db.Open();
            long height;
            byte[] body, signature;
            using (var read = db.CreateCommand())
            {
                read.CommandText = "SELECT height, body, signature FROM ledger_snapshot WHERE id = 1;";
                using var r = read.ExecuteReader();
                Assert.True(r.Read(), "no snapshot stored");
                (height, body, signature) = (r.GetInt64(0), (byte[])r.GetValue(1), (byte[])r.GetValue(2));
            }
            var decoded = LedgerSnapshot.Decode(body, Sp.Ledger.State.TeeCertificateReaders.None);
            decoded.State.Minted += Sp.Core.Model.TokenAmount.FromTokens(1);
            var tree = new MerkleLog();
            decoded.RestoreTree(tree);
            var forged = LedgerSnapshot.Encode(decoded.State, tree);
            var digest = LedgerService.ComputeDigest(decoded.State);
            if (key is not null)
                signature = LedgerSnapshot.Sign(key, decoded.State.Network, height, digest, decoded.State.LastHash, forged);
            using var write = db.CreateCommand();
            write.CommandText = "UPDATE ledger_snapshot SET digest = @d, body = @b, signature = @s WHERE id = 1;";
            foreach (var (name, value) in new (string, object)[] { ("@d", digest), ("@b", forged), ("@s", signature) })
            {
                var p = write.CreateParameter();
                p.ParameterName = name;
                p.Value = value;
                write.Parameters.Add(p);
            }
            Assert.Equal(1, write.ExecuteNonQuery());
            return digest;
        }
    }
}
