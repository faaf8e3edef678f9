using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Sp.Api;
using Sp.Crypto.Accounts;

namespace Sp.Node.Tests;

/// <summary>
/// The signature window of storage requests on the node's clock (a fake one): a request signed exactly the window
/// away from the node's time is taken, one millisecond further is refused, on either side; one signed before the
/// node started is refused; a nonce is remembered until its time leaves the window.
/// </summary>
public sealed class SignedRequestsTests : IDisposable
{
    private const string Network = "devnet-test";
    private const string Path = "/api/storage/objects";
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(300);
    private static readonly DateTimeOffset Started = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
    private readonly FakeTimeProvider _clock = new(Started);
    private readonly AccountKey _alice = AccountKey.Generate();

    public void Dispose() => _alice.Dispose();

    private static HttpRequest Request(string header)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = Path;
        context.Request.Headers[AccountRequestSignature.HeaderName] = header;
        return context.Request;
    }

    private string SignedAt(DateTimeOffset at) => AccountRequestSignature.Create(_alice, Network, "POST", Path, at);

    [Fact]
    public void A_request_signed_exactly_the_window_ago_is_taken_and_one_millisecond_earlier_is_refused()
    {
        var signed = new SignedRequests(Network, Window, _clock);
        _clock.Advance(Window + TimeSpan.FromSeconds(10));
        var now = _clock.GetUtcNow();

        Assert.Equal(_alice.Address, signed.Verify(Request(SignedAt(now - Window)), out var error));
        Assert.Null(error);
        Assert.Null(signed.Verify(Request(SignedAt(now - Window - TimeSpan.FromMilliseconds(1))), out error));
        Assert.Contains("outside the node's window of 300 s", error);
    }

    [Fact]
    public void A_request_signed_exactly_the_window_ahead_is_taken_and_one_millisecond_further_is_refused()
    {
        var signed = new SignedRequests(Network, Window, _clock);
        var now = _clock.GetUtcNow();

        Assert.Equal(_alice.Address, signed.Verify(Request(SignedAt(now + Window)), out _));
        Assert.Null(signed.Verify(Request(SignedAt(now + Window + TimeSpan.FromMilliseconds(1))), out var error));
        Assert.Contains("outside the node's window", error);
    }

    [Fact]
    public void A_request_signed_one_millisecond_before_the_node_started_is_refused()
    {
        var signed = new SignedRequests(Network, Window, _clock);
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(signed.Verify(Request(SignedAt(Started - TimeSpan.FromMilliseconds(1))), out var error));
        Assert.Contains("before the node started", error);
        Assert.Equal(_alice.Address, signed.Verify(Request(SignedAt(Started)), out _));
    }

    [Fact]
    public void A_replay_is_refused_while_its_time_is_in_the_window_and_by_its_time_once_it_left()
    {
        var signed = new SignedRequests(Network, Window, _clock);
        var header = SignedAt(Started);
        Assert.Equal(_alice.Address, signed.Verify(Request(header), out _));

        _clock.Advance(Window); // the last instant its time is in the window
        Assert.Null(signed.Verify(Request(header), out var error));
        Assert.Contains("already used (replay)", error);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(signed.Verify(Request(header), out error));
        Assert.Contains("outside the node's window", error);
    }
}
