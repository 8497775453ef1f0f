using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.LogServer;

/// <summary>Rekor's error body <c>{"code":N,"message":"..."}</c>, and the bounded request body read.</summary>
internal static class ApiResponses
{
    public const int MaxBody = 1024 * 1024;

    // Plain '+' and U+2014 in base64 and notes, as Rekor writes them; still valid JSON.
    public static readonly JsonWriterOptions Writer = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task ErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Writer))
        {
            w.WriteStartObject();
            w.WriteNumber("code", status);
            w.WriteString("message", message);
            w.WriteEndObject();
        }

        return context.Response.Body.WriteAsync(buffer.ToArray()).AsTask();
    }

    public static Task JsonAsync(HttpContext context, int status, byte[] json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(json).AsTask();
    }

    public static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Writer))
        {
            write(w);
        }

        return buffer.ToArray();
    }

    /// <summary>The request body as JSON, or null once a 413 has been answered for a body over <see cref="MaxBody"/>.</summary>
    public static async Task<System.Text.Json.JsonDocument?> ReadJsonAsync(HttpContext context)
    {
        if (await ReadBodyAsync(context.Request, context.RequestAborted) is not { } body)
        {
            await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"request body exceeds {MaxBody} bytes");
            return null;
        }

        return EntryJson.Parse(body);
    }

    /// <summary>Reads at most <see cref="MaxBody"/> bytes; null means the body was too large.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBody)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBody)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Runs a handler, turning bad input into 400/413 and anything else into a logged 500.</summary>
    public static RequestDelegate Guard(Func<HttpContext, Task> handler, Action<Exception> onFailure) => async context =>
    {
        try
        {
            await handler(context);
        }
        catch (WriterRefusedException e)
        {
            await ErrorAsync(context, StatusCodes.Status403Forbidden, e.Message);
        }
        catch (BadEntryException e)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, e.Message);
        }
        catch (BadHttpRequestException e)
        {
            await ErrorAsync(context, e.StatusCode, e.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            onFailure(e);
            await ErrorAsync(context, StatusCodes.Status500InternalServerError, "internal error; see the server log");
        }
    };
}
