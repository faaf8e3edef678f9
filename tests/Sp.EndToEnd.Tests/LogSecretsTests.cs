using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// No secret in any log (docs/logging.md): the guide's collaboration runs on the devnet (its sp-node, and a loader of
/// its own, at Trace: every line they can write is written), then every log under the devnet's folder is searched
/// for every secret the network's and the users' files hold, in each form a program could print it.
/// </summary>
[Collection("devnet")]
public sealed partial class LogSecretsTests(DevnetFixture net)
{
    [Fact]
    public async Task No_log_of_the_network_holds_a_private_key_a_data_key_or_a_token()
    {
        // A loader at Trace beside the devnet's (whose level is the default): the collaboration runs on it.
        var teeJson = net.WriteTeeConfig("log-secrets-tee");
        var teeLog = Path.Combine(net.Net, "logs", "log-secrets-tee.log");
        await using (var loader = TeeLoaderProcess.Start(teeJson, "trace"))
        {
            var offer = await loader.WaitServingAsync();
            var solution = await net.UploadSolutionAsync("log-secrets-solution");
            var (order, sub) = await net.PlaceOrderAsync(solution, offer);
            await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./dataset.resource.json", "--status", "done",
                "--solution-hash", DevnetFixture.HashOf(Path.Combine(net.Alice, solution)));
            Assert.Equal("Done", await net.WaitForEndAsync(order));
            await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", "log-secrets-result.tar.gz");
            await loader.WaitForOutputAsync($"order {order}: finished: Done");
            File.WriteAllText(teeLog, loader.Output);
        }

        var secrets = SecretsUnder(net.Net);
        // The loader's account key, each account's key, Alice's result key, the data and solution keys, the CA's key.
        Assert.Contains(secrets, s => s.Source.EndsWith("log-secrets-tee/tee.json", StringComparison.Ordinal));
        Assert.Contains(secrets, s => s.Source.EndsWith("accounts/alice.key", StringComparison.Ordinal));
        Assert.Contains(secrets, s => s.Source.EndsWith("alice/config.json", StringComparison.Ordinal));
        Assert.Contains(secrets, s => s.Source.EndsWith("bob/dataset.resource.json", StringComparison.Ordinal));
        Assert.Contains(secrets, s => s.Source.EndsWith("alice/log-secrets-solution.resource.json", StringComparison.Ordinal));
        Assert.Contains(secrets, s => s.Source.EndsWith("node/root-ca.key.pem", StringComparison.Ordinal));
        Assert.Contains(secrets, s => s.Source.EndsWith("node/log-key", StringComparison.Ordinal));

        var logs = LogsUnder(net.Net);
        Assert.Contains(logs, l => l.EndsWith("logs/node.log", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.EndsWith("logs/tee.log", StringComparison.Ordinal));
        // sp-devnet passed its --log-level on: the node's request log has its Debug lines.
        Assert.Contains("dbug: Sp.Node.Requests", File.ReadAllText(Path.Combine(net.Net, "logs", "node.log")));

        var found = new List<string>();
        foreach (var log in logs)
        {
            var text = File.ReadAllText(log);
            foreach (var marker in new[] { "PRIVATE KEY-----", "PRIVATE+KEY+" })
                if (text.Contains(marker, StringComparison.Ordinal)) found.Add($"{log}: the marker '{marker}'");
            foreach (var secret in secrets)
                foreach (var form in secret.Forms)
                    if (text.Contains(form, StringComparison.OrdinalIgnoreCase))
                        found.Add($"{log}: the secret of {secret.Source} ({secret.Name}) as '{form}'");
        }
        Assert.True(found.Count == 0, "secrets in logs:\n" + string.Join("\n", found));
    }

    private sealed record Secret(string Source, string Name, IReadOnlyList<string> Forms);

    /// <summary>Every file under the devnet's folder that is a log: its logs/ folder, and any *.log.</summary>
    private static List<string> LogsUnder(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".log", StringComparison.Ordinal) || Path.GetFileName(Path.GetDirectoryName(f)) == "logs")
            .ToList();

    /// <summary>
    /// The secrets of the network's and the users' files: PEM private keys (the CA's, the sim platform's), the log's
    /// signer key, the accounts' *.key files, and in JSON files every member named key, *private*, *secret*, *token*
    /// or *password* (account keys in config.json and tee.json, Alice's result key, the data and solution keys and
    /// the storage objects' bearer tokens in resource files, S3 secret keys).
    /// </summary>
    private static List<Secret> SecretsUnder(string dir)
    {
        var secrets = new List<Secret>();
        var logs = LogsUnder(dir).ToHashSet();
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            if (logs.Contains(file) || new FileInfo(file).Length > 1 << 20) continue;
            string text;
            try { text = File.ReadAllText(file); }
            catch (IOException) { continue; }
            var source = Path.GetRelativePath(dir, file);
            foreach (Match pem in Pem().Matches(text))
            {
                var body = pem.Groups[1].Value;
                var der = Convert.FromBase64String(Regex.Replace(body, @"\s", ""));
                var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => l.Length >= 24);
                secrets.Add(new Secret(source, "PEM private key", [.. FormsOf(der), .. lines]));
            }
            if (text.StartsWith("PRIVATE+KEY+", StringComparison.Ordinal))
                secrets.Add(new Secret(source, "log signer key", [text.Trim(), text.Trim().Split('+')[^1]]));
            if (file.EndsWith(".key", StringComparison.Ordinal) && Bytes(text.Trim()) is { } raw)
                secrets.Add(new Secret(source, "account key", FormsOf(raw)));
            if (file.EndsWith(".json", StringComparison.Ordinal))
            {
                JsonNode? json;
                try { json = JsonNode.Parse(text); }
                catch (System.Text.Json.JsonException) { continue; }
                Walk(json, "", false, (name, value) =>
                {
                    if (Bytes(value) is { Length: >= 16 } bytes) secrets.Add(new Secret(source, name, [value, .. FormsOf(bytes)]));
                    else if (value.Length >= 16) secrets.Add(new Secret(source, name, [value]));
                });
            }
        }
        return secrets;
    }

    private static void Walk(JsonNode? node, string name, bool secret, Action<string, string> found)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o) Walk(v, k, secret || IsSecretName(k), found);
                break;
            case JsonArray a:
                foreach (var v in a) Walk(v, name, secret, found);
                break;
            case JsonValue v when secret && v.TryGetValue<string>(out var s):
                found(name, s);
                break;
        }
    }

    private static bool IsSecretName(string name)
    {
        var n = name.ToLowerInvariant();
        return n is "key" || n.Contains("private") || n.Contains("secret") || n.Contains("token") || n.Contains("password");
    }

    /// <summary>The bytes of a hex (with or without 0x) or base64 string; null when it is neither.</summary>
    private static byte[]? Bytes(string value)
    {
        var hex = value.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? value[2..] : value;
        if (hex.Length % 2 == 0 && hex.Length >= 32 && hex.All(Uri.IsHexDigit)) return Convert.FromHexString(hex);
        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var n) && n >= 16 ? buffer[..n] : null;
    }

    /// <summary>How a program could print these bytes: hex, base64, base64url.</summary>
    private static List<string> FormsOf(byte[] bytes)
    {
        var b64 = Convert.ToBase64String(bytes);
        return [Convert.ToHexStringLower(bytes), b64, b64.TrimEnd('='), b64.TrimEnd('=').Replace('+', '-').Replace('/', '_')];
    }

    [GeneratedRegex(@"-----BEGIN [A-Z ]*PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END [A-Z ]*PRIVATE KEY-----")]
    private static partial Regex Pem();
}
