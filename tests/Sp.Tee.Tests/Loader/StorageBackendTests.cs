using Sp.Core.Model;
using Sp.Api;
using Sp.Storage.Blobs;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// The loader reads inputs and writes results through the same backends as the parties: here a LOCAL folder
/// (tee.json <c>storage</c>), shared by the uploader, the loader and the consumer on one machine.
/// </summary>
[Collection(LoaderCollection.Name)]
public sealed class StorageBackendTests(LoaderFixture f)
{
    [Fact]
    public async Task With_LOCAL_storage_the_loader_reads_a_LOCAL_dataset_and_writes_its_result_there()
    {
        var folder = Directory.CreateDirectory(Path.Combine(f.Work, "shared-local-store")).FullName;
        var local = new LocalFolderBlobStore(folder);
        await using var loader = await InProcessLoader.StartAsync(f.Net, Path.Combine(f.Work, "tee-local"), c => c with
        {
            Storage = new Sp.Client.Config.StorageSection { Type = LocalFolderBlobStore.Type, Path = folder },
        });
        var dataset = await f.Net.UploadTextAsync("scenario.sh", "cat /sp/inputs/input-0001/scenario.sh | wc -l > /sp/output/lines.txt\n# local\n", local);
        Assert.Equal(LocalFolderBlobStore.Type, dataset.Resource.StorageType);
        var objectsBefore = Directory.GetFiles(folder).Length;

        var order = await f.Net.WaitForEndAsync(await f.Net.RunOrderAsync(loader.OfferId, f.Runner, dataset));
        Assert.True(order.Status == OrderStatus.Done, $"{order.Status} {order.StatusMessage}");
        var result = f.Net.ResultResource(order);
        Assert.Equal(LocalFolderBlobStore.Type, result.Resource.StorageType);
        Assert.Equal(objectsBefore + 1, Directory.GetFiles(folder).Length); // the result's ciphertext, beside the dataset's
        Assert.Equal("2\n", TestNetwork.Text(await f.Net.ResultAsync(order, local), "output/lines.txt"));
    }
}
