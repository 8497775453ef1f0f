using Tlogistry.Telemetry;

namespace Tlogistry.Tests.Telemetry;

public sealed class TelemetrySetupTests
{
    [Theory]
    [InlineData("http://collector:4318", null, "http://collector:4318/v1/traces")]
    [InlineData("http://collector:4318/", null, "http://collector:4318/v1/traces")]
    [InlineData("https://otel.example.test/prefix", null, "https://otel.example.test/prefix/v1/traces")]
    [InlineData(null, "http://from-env:4318", "http://from-env:4318/v1/traces")]
    [InlineData("http://flag:4318", "http://from-env:4318", "http://flag:4318/v1/traces")]
    [InlineData("  ", " http://from-env:4318 ", "http://from-env:4318/v1/traces")]
    public void TheFlagWinsOverTheEnvironmentAndTracesGoToV1TracesBelowTheBase(string? configured, string? environment, string traces)
    {
        var endpoint = TelemetrySetup.OtlpEndpoint(configured, environment);
        Assert.NotNull(endpoint);
        Assert.Equal(traces, new Uri(endpoint, "v1/traces").AbsoluteUri);
    }

    [Fact]
    public void NoEndpointMeansNoTraces() => Assert.Null(TelemetrySetup.OtlpEndpoint(null, ""));

    [Theory]
    [InlineData("collector:4318", null, "--otlp-endpoint")]
    [InlineData("ftp://collector", null, "--otlp-endpoint")]
    [InlineData(null, "/v1/traces", "OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData("http://collector:4318/?x=1", null, "--otlp-endpoint")]
    public void ABadEndpointIsRefusedNamingWhereItCameFrom(string? configured, string? environment, string source)
    {
        var e = Assert.Throws<FormatException>(() => TelemetrySetup.OtlpEndpoint(configured, environment));
        Assert.StartsWith(source + " must be an http(s) base URL", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAnEndpointNothingListensToTheServicesSpans()
    {
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, [], cancellationToken: TestContext.Current.CancellationToken);
        Assert.False(TlogistryTracing.Source.HasListeners());
    }
}
