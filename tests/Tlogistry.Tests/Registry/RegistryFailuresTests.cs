using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Registry;
using Tlogistry.Registry.Routing;
using Tlogistry.Telemetry;
using Tlogistry.Upstream;

namespace Tlogistry.Tests.Registry;

/// <summary>What each failure of a registry request answers, counts as, and logs.</summary>
public sealed class RegistryFailuresTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Path = "/v2/alpine/manifests/3.16.0";

    [Theory]
    [InlineData(404, 404, RequestOutcome.NotFound)]
    [InlineData(404, null, RequestOutcome.NotFound)]
    [InlineData(403, null, RequestOutcome.Denied)]
    [InlineData(403, 403, RequestOutcome.UpstreamError)]
    [InlineData(401, 401, RequestOutcome.UpstreamError)]
    [InlineData(502, 500, RequestOutcome.UpstreamError)]
    [InlineData(504, null, RequestOutcome.UpstreamError)]
    public void AnUpstreamFailureKeepsItsStatusAndCodeAndIsCountedByWhoseItIs(int status, int? upstreamStatus, string outcome)
    {
        var logger = new RecordingLogger();
        var error = new OciError(OciErrorCodes.ManifestUnknown, "no such manifest");
        var answer = RegistryFailures.For(new UpstreamException(status, error, TimeSpan.FromSeconds(7)) { UpstreamStatus = upstreamStatus }, "GET", Path, clientGone: false, logger);

        Assert.NotNull(answer);
        Assert.Equal(status, answer.Status);
        Assert.Same(error, answer.Error);
        Assert.Equal(outcome, answer.Outcome);
        Assert.Equal(upstreamStatus, answer.UpstreamStatus);
        Assert.Equal(TimeSpan.FromSeconds(7), answer.RetryAfter);
        var line = Assert.Single(logger.Lines);
        Assert.Equal(EventIds.Registry.UpstreamFailed, line.Id.Id);
        Assert.Contains(Path, line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnavailableLedgerIsA503WhoseDetailStaysInTheLogUnderTheReferenceSent()
    {
        var logger = new RecordingLogger();
        var answer = RegistryFailures.For(new LedgerUnavailableException("connect to 10.1.2.3:5432 failed"), "GET", Path, clientGone: false, logger);

        Assert.NotNull(answer);
        Assert.Equal(503, answer.Status);
        Assert.Equal(DistributionErrorCodes.Unavailable, answer.Error!.Code);
        Assert.Equal(RequestOutcome.LogError, answer.Outcome);
        Assert.DoesNotContain("10.1.2.3", answer.Error.Message, StringComparison.Ordinal);
        var line = Assert.Single(logger.Lines);
        Assert.Equal(EventIds.Registry.LedgerUnavailable, line.Id.Id);
        Assert.Contains("10.1.2.3", line.Message, StringComparison.Ordinal);
        var reference = Regex.Match(answer.Error.Message, @"reference ([0-9a-f]+)").Groups[1].Value;
        Assert.NotEmpty(reference);
        Assert.Contains("reference " + reference, line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALedgerThatFailsVerificationIsA503ThatSaysWhatFailed()
    {
        var logger = new RecordingLogger();
        var answer = RegistryFailures.For(new LedgerIntegrityException("inclusion proof does not verify"), "GET", Path, clientGone: false, logger);

        Assert.NotNull(answer);
        Assert.Equal(503, answer.Status);
        Assert.Equal(DistributionErrorCodes.Unavailable, answer.Error!.Code);
        Assert.Equal(RequestOutcome.IntegrityError, answer.Outcome);
        Assert.Contains("inclusion proof does not verify", answer.Error.Message, StringComparison.Ordinal);
        Assert.Equal(EventIds.Registry.IntegrityFailure, Assert.Single(logger.Lines).Id.Id);
    }

    [Fact]
    public void ATagPatternThatTimesOutIsA500NamingThePattern()
    {
        var logger = new RecordingLogger();
        var answer = RegistryFailures.For(new RegexMatchTimeoutException("aaaa!", "(a+)+$", TimeSpan.FromMilliseconds(100)), "GET", Path, clientGone: false, logger);

        Assert.NotNull(answer);
        Assert.Equal(500, answer.Status);
        Assert.Equal(DistributionErrorCodes.Unknown, answer.Error!.Code);
        Assert.Equal(RequestOutcome.Error, answer.Outcome);
        Assert.Contains("(a+)+$", answer.Error.Message, StringComparison.Ordinal);
        Assert.Equal(EventIds.Registry.PolicyTimeout, Assert.Single(logger.Lines).Id.Id);
    }

    [Fact]
    public void AClientThatWentAwayGetsNoAnswerAndNoLogLine()
    {
        var logger = new RecordingLogger();
        var answer = RegistryFailures.For(new OperationCanceledException(), "GET", Path, clientGone: true, logger);

        Assert.NotNull(answer);
        Assert.False(answer.Replies);
        Assert.False(answer.Abort);
        Assert.Equal(RequestOutcome.Aborted, answer.Outcome);
        Assert.Empty(logger.Lines);
    }

    [Fact]
    public void ACancellationNotOfTheClientIsNotAnsweredHere() =>
        Assert.Null(RegistryFailures.For(new OperationCanceledException(), "GET", Path, clientGone: false, new RecordingLogger()));

    [Theory]
    [InlineData(typeof(IOException))]
    [InlineData(typeof(HttpRequestException))]
    public void AStreamBrokenMidBodyCutsTheConnection(Type broken)
    {
        var logger = new RecordingLogger();
        var answer = RegistryFailures.For((Exception)Activator.CreateInstance(broken, "reset by peer")!, "GET", Path, clientGone: false, logger);

        Assert.NotNull(answer);
        Assert.False(answer.Replies);
        Assert.True(answer.Abort);
        Assert.Equal(RequestOutcome.Aborted, answer.Outcome);
        Assert.Equal(EventIds.Registry.StreamBroken, Assert.Single(logger.Lines).Id.Id);
    }

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(FormatException))]
    public void OtherFailuresAreNotTheRegistryAPIsToAnswer(Type other) =>
        Assert.Null(RegistryFailures.For((Exception)Activator.CreateInstance(other, "x")!, "GET", Path, clientGone: false, new RecordingLogger()));

    [Fact]
    public async Task AReplyWritesTheOCIBodyTheRetryTimeAndTheUpstreamStatus()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        var answer = RegistryFailures.For(new UpstreamException(429, new OciError(OciErrorCodes.TooManyRequests, "slow down"), TimeSpan.FromSeconds(30)) { UpstreamStatus = 429 }, "GET", Path, clientGone: false, new RecordingLogger())!;

        await answer.WriteAsync(context, Ct);

        Assert.Equal(429, context.Response.StatusCode);
        Assert.Equal("application/json", context.Response.ContentType);
        Assert.Equal("30", context.Response.Headers.RetryAfter.ToString());
        Assert.Equal(429, RequestOutcome.GetUpstreamStatus(context));
        Assert.Equal(RequestOutcome.UpstreamError, RequestOutcome.Get(context));
        var error = JsonDocument.Parse(((MemoryStream)context.Response.Body).ToArray()).RootElement.GetProperty("errors")[0];
        Assert.Equal(OciErrorCodes.TooManyRequests, error.GetProperty("code").GetString());
        Assert.Equal("slow down", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ABrokenStreamAbortsTheRequestAndWritesNothing()
    {
        var context = new DefaultHttpContext();
        var lifetime = new AbortRecorder();
        context.Features.Set<IHttpRequestLifetimeFeature>(lifetime);
        context.Response.Body = new MemoryStream();
        context.Response.StatusCode = 200;

        await RegistryFailures.For(new IOException("reset"), "GET", Path, clientGone: false, new RecordingLogger())!.WriteAsync(context, Ct);

        Assert.True(lifetime.Aborted);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal(0, context.Response.Body.Length);
        Assert.Equal(RequestOutcome.Aborted, RequestOutcome.Get(context));
    }

    private sealed class AbortRecorder : IHttpRequestLifetimeFeature
    {
        public CancellationToken RequestAborted { get; set; }

        public bool Aborted { get; private set; }

        public void Abort() => Aborted = true;
    }
}
