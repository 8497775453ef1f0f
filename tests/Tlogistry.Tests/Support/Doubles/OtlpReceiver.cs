using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.Support.Doubles;

/// <summary>
/// A loopback OTLP/HTTP trace receiver: <c>POST /v1/traces</c> with an
/// <c>application/x-protobuf</c> ExportTraceServiceRequest is kept and answered 200 with an
/// empty ExportTraceServiceResponse (zero bytes in protobuf), as the OTLP specification says.
/// Anything else answers 404 or 415 and is not kept.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<byte[]> _exports = [];

    private OtlpReceiver(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>The request bodies received so far.</summary>
    public IReadOnlyList<byte[]> Exports
    {
        get
        {
            lock (_exports)
            {
                return [.. _exports];
            }
        }
    }

    public static async Task<OtlpReceiver> StartAsync()
    {
        OtlpReceiver? self = null;
        var (app, baseUri) = await LoopbackApp.StartAsync(async context =>
        {
            if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Path != "/v1/traces")
            {
                context.Response.StatusCode = 404;
                return;
            }

            if (context.Request.ContentType != "application/x-protobuf")
            {
                context.Response.StatusCode = 415;
                return;
            }

            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            lock (self!._exports)
            {
                self._exports.Add(body.ToArray());
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.ContentLength = 0;
        });
        self = new OtlpReceiver(app, baseUri);
        return self;
    }

    /// <summary>
    /// The protobuf bytes of a string field: tag (field number, wire type 2), length, UTF-8.
    /// Lengths here stay under 128, so the length varint is one byte.
    /// </summary>
    public static byte[] StringField(int field, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return [(byte)((field << 3) | 2), (byte)bytes.Length, .. bytes];
    }

    /// <summary>A length-delimited field around <paramref name="inner"/> (under 128 bytes).</summary>
    public static byte[] MessageField(int field, byte[] inner) => [(byte)((field << 3) | 2), (byte)inner.Length, .. inner];

    /// <summary>
    /// The resource attribute <c>KeyValue { key = <paramref name="key"/>, value = AnyValue { string_value = <paramref name="value"/> } }</c>
    /// as it appears inside an export.
    /// </summary>
    public static byte[] StringAttribute(string key, string value) =>
        [.. StringField(1, key), .. MessageField(2, StringField(1, value))];

    /// <summary><c>Span.name</c> (field 5) as it appears inside an export.</summary>
    public static byte[] SpanName(string name) => StringField(5, name);

    public bool Received(byte[] pattern) => Exports.Any(e => e.AsSpan().IndexOf(pattern) >= 0);

    public ValueTask DisposeAsync() => LoopbackApp.StopAsync(_app);
}
