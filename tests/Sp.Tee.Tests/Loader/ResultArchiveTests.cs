using System.Security.Cryptography;
using Sp.Core.Model;
using Sp.Api;
using Sp.Testing;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// The result archive a real order gets is standard tar (issue 15): GNU tar, Python's tarfile and bsdtar list the
/// same names, each once (output/ was written twice, and Python read "00000000000/output/…"), and extract the same files.
/// </summary>
[Collection(LoaderCollection.Name)]
public sealed class ResultArchiveTests(LoaderFixture f)
{
    private static readonly string Long = "long-" + new string('d', 95); // two of these make names over 200 characters

    [Fact]
    public async Task GNU_tar_Python_and_bsdtar_read_a_result_archive_alike()
    {
        var dataset = await f.Net.UploadTextAsync("scenario.sh", $"""
            cd /sp/output
            mkdir -p nested/a/b "empty dir" "with space" {Long}/{Long}
            echo deep > nested/a/b/deep.txt
            echo spaces > "with space/file with spaces.txt"
            echo long > {Long}/{Long}/file.txt
            printf '#!/bin/sh\n' > run.sh && chmod 755 run.sh
            echo wrote the tree
            """);
        var order = await f.Net.WaitForEndAsync(await f.Net.RunOrderAsync(f.Loader.OfferId, f.Runner, dataset));
        Assert.True(order.Status == OrderStatus.Done, $"{order.Status} {order.StatusMessage}");

        var result = await f.Net.ResultAsync(order); // fails on an entry named twice
        string[] names =
        [
            "output/", "output/empty dir/", $"output/{Long}/", $"output/{Long}/{Long}/", $"output/{Long}/{Long}/file.txt",
            "output/nested/", "output/nested/a/", "output/nested/a/b/", "output/nested/a/b/deep.txt", "output/run.sh",
            "output/with space/", "output/with space/file with spaces.txt", "log.txt",
        ];
        Assert.Equal(names.Order(StringComparer.Ordinal), result.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("wrote the tree", TestNetwork.Text(result, "log.txt"));
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
            tree[name.TrimEnd('/')] = name.EndsWith('/') ? "dir"
                : $"file {Convert.ToHexStringLower(SHA256.HashData(result[name]))}" + (name == "output/run.sh" ? " x" : "");

        var scratch = Directory.CreateTempSubdirectory("sp-result-archive-").FullName;
        try
        {
            var archive = Path.Combine(scratch, "result.tar.gz");
            await File.WriteAllBytesAsync(archive, await f.Net.ResultArchiveAsync(order));
            TarReaders.AssertAllRead(archive, Path.Combine(scratch, "readers"), names, tree);
        }
        finally { Directory.Delete(scratch, recursive: true); }
    }
}
