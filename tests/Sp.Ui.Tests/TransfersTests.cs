using Microsoft.Extensions.Time.Testing;
using Sp.Core;
using Sp.Storage.Transfer;

namespace Sp.Ui.Tests;

/// <summary>The UI's background transfers: the progress their page shows (bytes, rate, time left), then their outcome or failure.</summary>
public sealed class TransfersTests
{
    private const long MiB = 1L << 20;

    [Fact]
    public async Task A_transfer_shows_bytes_rate_and_time_left_while_it_runs_and_keeps_its_last_rate_when_done()
    {
        var time = new FakeTimeProvider();
        var transfers = new Transfers(time);
        var halfway = new TaskCompletionSource();
        var go = new TaskCompletionSource();
        var transfer = transfers.Start("Upload of data.csv", async (progress, _) =>
        {
            progress.Report(new TransferProgress(TransferPhases.Upload, 0, 100 * MiB));
            time.Advance(TimeSpan.FromSeconds(2));
            progress.Report(new TransferProgress(TransferPhases.Upload, 50 * MiB, 100 * MiB));
            halfway.SetResult();
            await go.Task;
            time.Advance(TimeSpan.FromSeconds(2));
            progress.Report(new TransferProgress(TransferPhases.Upload, 100 * MiB, 100 * MiB));
            return new TransferOutcome("Resource file was created in ui-files/data.csv.resource.json", Hash: new string('a', 64));
        }, CancellationToken.None);

        Assert.Same(transfer, transfers.Find(transfer.Id));
        await halfway.Task;
        Assert.True(transfer.Running);
        Assert.Null(transfer.Outcome);
        Assert.Equal("upload:  50% 50.0 MiB/100.0 MiB 25.0 MiB/s ETA 00:02", transfer.Describe());

        go.SetResult();
        await transfer.Completion;
        time.Advance(TimeSpan.FromMinutes(5)); // read later: the rate is the transfer's, not diluted by the wait
        Assert.False(transfer.Running);
        Assert.Equal("upload: 100% 100.0 MiB/100.0 MiB 25.0 MiB/s ETA 00:00", transfer.Describe());
        Assert.Equal("Resource file was created in ui-files/data.csv.resource.json", transfer.Outcome!.Notice);
        Assert.Null(transfer.Error);
    }

    [Fact]
    public async Task A_new_phase_is_measured_from_its_own_start()
    {
        var time = new FakeTimeProvider();
        var transfer = new Transfers(time).Start("Result of order 7", (progress, _) =>
        {
            progress.Report(new TransferProgress(TransferPhases.Download, 10 * MiB, 10 * MiB));
            time.Advance(TimeSpan.FromSeconds(30));
            progress.Report(new TransferProgress(TransferPhases.Extract, 0, 4 * MiB));
            time.Advance(TimeSpan.FromSeconds(1));
            progress.Report(new TransferProgress(TransferPhases.Extract, 1 * MiB, 4 * MiB));
            return Task.FromResult(new TransferOutcome("done"));
        }, CancellationToken.None);
        await transfer.Completion;
        Assert.Equal("extract:  25% 1.0 MiB/4.0 MiB 1.0 MiB/s ETA 00:03", transfer.Describe());
    }

    [Fact]
    public async Task A_failed_transfer_says_why_in_the_commands_words_and_an_unknown_one_is_not_found()
    {
        var transfers = new Transfers(new FakeTimeProvider());
        var transfer = transfers.Start("Result of order 9", (_, _) =>
            Task.FromException<TransferOutcome>(new UserError("order 9 has no result yet (status Processing)", "wait until `spctl orders get ID` shows Done or Error")),
            CancellationToken.None);
        await transfer.Completion;
        Assert.Null(transfer.Outcome);
        Assert.Equal("order 9 has no result yet (status Processing) (hint: wait until `spctl orders get ID` shows Done or Error)", transfer.Error);
        Assert.Equal("starting…", transfer.Describe());
        Assert.Null(transfers.Find("0123"));
        Assert.Null(transfers.Find(null));
    }
}
