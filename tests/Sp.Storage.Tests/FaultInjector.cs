using System.Collections.Concurrent;
using System.Net;

namespace Sp.Storage.Tests;

/// <summary>
/// Sits between the S3 client and the network: records every request, tracks how many part uploads run at
/// once, and can answer a request with an error status or a connection failure instead of sending it.
/// </summary>
internal sealed class FaultInjector
{
    /// <summary>Decides per request: null sends it, a status answers with it, an exception fails the request.</summary>
    public Func<RequestInfo, object?> Fault { get; set; } = _ => null;

    public ConcurrentQueue<RequestInfo> Requests { get; } = new();
    public int MaxConcurrentPartUploads => _maxConcurrent;

    private int _concurrent;
    private int _maxConcurrent;
    private int _sequence;

    public HttpMessageHandler Wrap(HttpMessageHandler inner) => new Handler(this, inner);

    public IEnumerable<RequestInfo> PartUploads(int? part = null) =>
        Requests.Where(r => r.Method == "PUT" && r.Query.Contains("partNumber=", StringComparison.Ordinal)
            && (part is null || r.Query.Contains($"partNumber={part}&", StringComparison.Ordinal) || r.Query.EndsWith($"partNumber={part}", StringComparison.Ordinal)));

    public sealed record RequestInfo(int Sequence, string Method, string Path, string Query, string? Range);

    private sealed class Handler(FaultInjector owner, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var info = new RequestInfo(Interlocked.Increment(ref owner._sequence), request.Method.Method,
                request.RequestUri!.AbsolutePath, request.RequestUri.Query.TrimStart('?'), request.Headers.Range?.ToString());
            owner.Requests.Enqueue(info);
            switch (owner.Fault(info))
            {
                case HttpStatusCode status:
                    return new HttpResponseMessage(status) { RequestMessage = request, Content = new StringContent("") };
                case Exception e:
                    throw e;
            }
            var isPart = info.Method == "PUT" && info.Query.Contains("partNumber=", StringComparison.Ordinal);
            if (!isPart) return await base.SendAsync(request, cancellationToken);
            var now = Interlocked.Increment(ref owner._concurrent);
            int seen;
            while (now > (seen = Volatile.Read(ref owner._maxConcurrent)) && Interlocked.CompareExchange(ref owner._maxConcurrent, now, seen) != seen) { }
            try { return await base.SendAsync(request, cancellationToken); }
            finally { Interlocked.Decrement(ref owner._concurrent); }
        }
    }
}
