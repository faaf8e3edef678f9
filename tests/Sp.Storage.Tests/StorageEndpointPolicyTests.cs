using System.Net;
using Sp.Core.Model;
using Sp.Storage.Blobs;

namespace Sp.Storage.Tests;

/// <summary>
/// A reader of resource files connects only to the storage hosts its operator allows: nothing else is contacted,
/// and a listed DNS name only at public or listed addresses (<see cref="StorageEndpointPolicy"/>).
/// </summary>
public sealed class StorageEndpointPolicyTests
{
    [Fact]
    public void An_unlisted_endpoint_is_refused_naming_its_host_and_nothing_connects_to_it()
    {
        using var listener = FakeHttpServer.Always(200, "");
        var policy = new StorageEndpointPolicy(["s3.example.com", "127.0.0.1:1"], "allowedStorageHosts");
        foreach (var endpoint in new[] { listener.Url, $"http://localhost:{listener.Port}", $"http://[::1]:{listener.Port}", "http://169.254.169.254/", "http://10.1.2.3:9000" })
        {
            var e = Assert.Throws<StorageEndpointRefusedException>(() => S3BlobStore.ForResource(TestResources.S3(endpoint), endpoints: policy));
            var uri = new Uri(endpoint);
            var host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost.Trim('[', ']')}]" : uri.IdnHost;
            Assert.Contains($"storage endpoint host {host}:{uri.Port} is not allowed", e.Message);
            Assert.Contains("allowedStorageHosts does not list it", e.Message);
        }
        Assert.Equal(0, listener.Connections);
    }

    [Fact]
    public async Task A_listed_name_that_resolves_to_a_loopback_address_is_refused_unless_the_address_is_listed()
    {
        using var listener = new FakeHttpServer((_, _) => new FakeHttpServer.Response(404, "Not Found", new() { ["Content-Type"] = "application/xml" },
            "<Error><Code>NoSuchKey</Code><Message>no</Message></Error>"u8.ToArray()));
        var resource = TestResources.S3($"http://localhost:{listener.Port}");

        var byName = new StorageEndpointPolicy([$"localhost:{listener.Port}"], "allowedStorageHosts");
        using (var store = S3BlobStore.ForResource(resource, endpoints: byName))
        {
            var e = await Assert.ThrowsAsync<StorageEndpointRefusedException>(() => store.OpenReadAsync(resource, default));
            Assert.Contains($"storage endpoint host localhost:{listener.Port} resolves to", e.Message);
            Assert.Contains("refused unless allowedStorageHosts lists them", e.Message);
        }
        Assert.Equal(0, listener.Connections);

        // Positive control: with its loopback address listed too, the same name connects (and the object is absent).
        var withAddress = new StorageEndpointPolicy([$"localhost:{listener.Port}", $"127.0.0.1:{listener.Port}", $"[::1]:{listener.Port}"], "allowedStorageHosts");
        using (var store = S3BlobStore.ForResource(resource, endpoints: withAddress))
            await Assert.ThrowsAsync<FileNotFoundException>(() => store.OpenReadAsync(resource, default));
        Assert.True(listener.Connections > 0);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.0.0.5", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("52.95.110.1", false)]
    [InlineData("::1", true)]
    [InlineData("::", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("::ffff:8.8.8.8", false)]
    [InlineData("2002:7f00:1::", true)]
    [InlineData("64:ff9b::a00:1", true)]
    [InlineData("2001:4860:4860::8888", false)]
    public void Loopback_private_link_local_and_reserved_addresses_are_forbidden(string address, bool forbidden) =>
        Assert.Equal(forbidden, StorageEndpointPolicy.IsForbidden(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://s3.example.com", true)]
    [InlineData("https://S3.Example.COM:443/", true)]
    [InlineData("http://s3.example.com:9000", true)]
    [InlineData("http://other.example.com", false)]
    [InlineData("http://127.0.0.1:9000", true)]
    [InlineData("http://127.0.0.1:9001", false)]
    [InlineData("http://[::1]:9000", true)]
    [InlineData("http://0x7f.0.0.1:9000", true)] // the same address spelt otherwise
    [InlineData("ftp://s3.example.com", false)]
    public void An_entry_without_a_port_allows_every_port_of_its_host_and_one_with_a_port_that_port(string endpoint, bool allowed)
    {
        var policy = new StorageEndpointPolicy(["s3.example.com", "127.0.0.1:9000", "[::1]:9000"], "allowedStorageHosts");
        if (allowed) policy.CheckEndpoint(endpoint);
        else Assert.Throws<StorageEndpointRefusedException>(() => policy.CheckEndpoint(endpoint));
    }

    [Theory]
    [InlineData("http://s3.example.com")]
    [InlineData("s3.example.com/bucket")]
    [InlineData("::1")]
    [InlineData("")]
    [InlineData("user@host")]
    public void An_entry_that_is_no_host_is_refused_naming_it(string entry)
    {
        var e = Assert.Throws<InvalidDataException>(() => new StorageEndpointPolicy([entry], "tee.json allowedStorageHosts"));
        Assert.Contains($"tee.json allowedStorageHosts: '{entry}' is not a host", e.Message);
    }
}
