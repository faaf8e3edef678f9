using System.Formats.Tar;
using System.Text;
using Sp.Core.Model;
using Sp.Api;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// An order's status message is public and its log goes to the consumer: neither may carry the dataset's plaintext,
/// not even when the dataset is refused. Through the loader and a real sp-node.
/// </summary>
[Collection(LoaderCollection.Name)]
public sealed class DatasetSecrecyTests(LoaderFixture f)
{
    [Fact]
    public async Task A_dataset_archive_that_cannot_be_unpacked_ends_its_order_without_quoting_its_entries()
    {
        // A directory dataset whose archive holds an entry that climbs out of the input folder, its name a secret.
        var dir = Directory.CreateDirectory(Path.Combine(f.Work, "secrecy-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var tarPath = Path.Combine(dir, "dataset.tar");
        await using (var fs = File.Create(tarPath))
        await using (var tar = new TarWriter(fs, TarEntryFormat.Pax))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "../SECRET-PATIENT-NAME.csv") { DataStream = new MemoryStream("SECRET-ROW"u8.ToArray()) });
        }
        var dataset = await f.Net.UploadAsync(tarPath) with { Kind = ResourceKinds.Directory };

        var order = await f.Net.WaitForEndAsync(await f.Net.RunOrderAsync(f.Loader.OfferId, f.Runner, dataset));
        Assert.Equal(OrderStatus.Error, order.Status);
        Assert.Contains("the dataset could not be unpacked (InvalidDataException", order.StatusMessage);
        Assert.DoesNotContain("SECRET", order.StatusMessage);
        var log = TestNetwork.Text(await f.Net.ResultAsync(order), "log.txt");
        Assert.Contains("could not be unpacked", log);
        Assert.DoesNotContain("SECRET", log);
        await f.Loader.AssertScratchEmptiesAsync();
    }
}
