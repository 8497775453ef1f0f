using System.Security.Cryptography;
using Tlogistry.LogServer;
using Tlogistry.Signing.Timestamps;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Signing.Timestamps;

/// <summary>
/// The log server's timestamp authority: its answers are what the client asked for, OpenSSL
/// verifies them with the chain it publishes, and its key and chain survive a restart.
/// </summary>
public sealed class TimestampIssuerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnswersVerifyHereAndWithOpenSsl()
    {
        using var dir = new TempDirectory();
        using var tsa = LogTimestampAuthority.LoadOrCreate(dir.Path, TimeProvider.System);
        var signature = RandomNumberGenerator.GetBytes(70);
        var request = Rfc3161Request(signature, out var nonce);

        var answer = new TimestampIssuer(tsa.Chain[0], LoadKey(dir)).Answer(request.Encode(), DateTimeOffset.UtcNow);

        // The client's own checks: status granted, this imprint and nonce, the signer named.
        var token = request.ProcessResponse(answer, out _);
        Assert.Equal(nonce, token.TokenInfo.GetNonce()!.Value.ToArray());
        var authority = new CertificateAuthority("tlogistry", "tsa", "", [.. tsa.Chain.Select(c => c.RawData)], DateTimeOffset.UnixEpoch, null);
        Assert.Equal(token.TokenInfo.Timestamp, SignedTimestamp.Verify(answer, signature, [authority]));

        var files = new TempDirectory();
        using (files)
        {
            await File.WriteAllBytesAsync(files.Combine("data"), signature, Ct);
            await File.WriteAllBytesAsync(files.Combine("answer.tsr"), answer, Ct);
            await File.WriteAllTextAsync(files.Combine("root.pem"), tsa.Chain[1].ExportCertificatePem(), Ct);
            await File.WriteAllTextAsync(files.Combine("tsa.pem"), tsa.Chain[0].ExportCertificatePem(), Ct);
            var result = await Tool.RunAsync(Tool.Require("openssl", "openssl"), ["ts", "-verify", "-data", files.Combine("data"), "-in", files.Combine("answer.tsr"), "-CAfile", files.Combine("root.pem"), "-untrusted", files.Combine("tsa.pem")], check: false, cancellationToken: Ct);
            Assert.True(result.ExitCode == 0, result.StandardError + result.StandardOutput);
            Assert.Contains("Verification: OK", result.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EverySerialIsAMinimalPositiveInteger()
    {
        // A random serial whose first byte came out zero, followed by a byte below 0x80, is not
        // minimal DER; one stamp in about 500 hit it. Thousands of answers find it if it is back.
        using var dir = new TempDirectory();
        using var tsa = LogTimestampAuthority.LoadOrCreate(dir.Path, TimeProvider.System);
        var issuer = new TimestampIssuer(tsa.Chain[0], LoadKey(dir));
        var request = Rfc3161Request(RandomNumberGenerator.GetBytes(70), out _).Encode();

        for (var i = 0; i < 4096; i++)
        {
            var serial = SignedTimestamp.Decode(issuer.Answer(request, DateTimeOffset.UtcNow)).TokenInfo.GetSerialNumber().Span;
            Assert.True(serial[0] is >= 0x01 and < 0x80, $"serial starts with 0x{serial[0]:x2}");
        }
    }

    [Fact]
    public void UnreadableRequestIsRejected()
    {
        using var dir = new TempDirectory();
        using var tsa = LogTimestampAuthority.LoadOrCreate(dir.Path, TimeProvider.System);

        var answer = new TimestampIssuer(tsa.Chain[0], LoadKey(dir)).Answer("not a request"u8.ToArray(), DateTimeOffset.UtcNow);

        Assert.Contains("refused the request (status 2)", Assert.Throws<FormatException>(() => SignedTimestamp.Decode(answer)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyAndChainAreKeptAcrossStarts()
    {
        using var dir = new TempDirectory();
        byte[] first;
        using (var tsa = LogTimestampAuthority.LoadOrCreate(dir.Path, TimeProvider.System))
        {
            first = tsa.Chain[0].RawData;
        }

        using var again = LogTimestampAuthority.LoadOrCreate(dir.Path, TimeProvider.System);
        Assert.Equal(first, again.Chain[0].RawData);
        Assert.Equal(2, again.Chain.Count);

        // A chain that is not the key's stops the start.
        using var other = new TempDirectory();
        using (LogTimestampAuthority.LoadOrCreate(other.Path, TimeProvider.System))
        {
        }

        File.Copy(other.Combine(LogTimestampAuthority.ChainFile), dir.Combine(LogTimestampAuthority.ChainFile), overwrite: true);
        Assert.Contains("must start with the certificate of the key", Assert.Throws<FormatException>(() => LogTimestampAuthority.LoadOrCreate(dir.Path, TimeProvider.System)).Message, StringComparison.Ordinal);
    }

    private static System.Security.Cryptography.Pkcs.Rfc3161TimestampRequest Rfc3161Request(byte[] signature, out byte[] nonce)
    {
        nonce = RandomNumberGenerator.GetBytes(16);
        nonce[0] &= 0x7f;
        nonce[0] |= 0x01;
        return System.Security.Cryptography.Pkcs.Rfc3161TimestampRequest.CreateFromData(signature, HashAlgorithmName.SHA256, nonce: nonce, requestSignerCertificates: true);
    }

    private static ECDsa LoadKey(TempDirectory dir)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(dir.Combine(LogTimestampAuthority.KeyFile)));
        return key;
    }
}
