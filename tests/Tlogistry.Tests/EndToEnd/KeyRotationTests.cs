using System.Net;
using Tlogistry.Signing;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>Key mode with rotation: sightings by an earlier key count only while that key is listed with --trusted-key.</summary>
public sealed class KeyRotationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PinsByARotatedKeyHoldWhileItIsTrustedAndFailClosedWhenItIsNot()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, null, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var first = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // Rotate: keep the old public key, let the next start make a new signing key.
        var keyFile = Path.Combine(data.Path, "signing-key.pem");
        var oldPublic = Path.Combine(data.Path, "old-key.pub");
        using (var old = InstanceKey.LoadOrCreate(keyFile))
        {
            await File.WriteAllTextAsync(oldPublic, old.PublicKeyPem, Ct);
        }

        File.Move(keyFile, Path.Combine(data.Path, "old-signing-key.pem"));
        upstream.Move("v1");
        var trusting = new Dictionary<string, string?> { ["Tlogistry:TrustedKeys:0"] = oldPublic };
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, trusting, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var moved = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
            Assert.Contains("DENIED", await moved.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

            // New sightings are signed with the new key.
            using var fresh = await http.GetAsync("/v2/scripted.test/app/manifests/v2", Ct);
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        // Without the old key listed, its pin no longer verifies: the tag fails closed, never re-pinned.
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, null, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var refused = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            var reason = await refused.Content.ReadAsStringAsync(Ct);
            Assert.Contains("does not verify", reason, StringComparison.Ordinal);
            Assert.Contains("signature check failed", reason, StringComparison.Ordinal);
            using var fresh = await http.GetAsync("/v2/scripted.test/app/manifests/v2", Ct);
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }
    }
}
