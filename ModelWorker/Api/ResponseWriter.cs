using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace ModelWorker.Api;

/// <summary>
/// Writes a small JSON answer with a Content-Length (no chunked framing for either side to parse) through a
/// per-thread buffer and Utf8JsonWriter that are reused, so an answer allocates neither. The JSON is produced and
/// copied into the response pipe synchronously, so no other request can use the thread's buffer meanwhile;
/// Kestrel sends it when the endpoint returns.
/// </summary>
internal static class ResponseWriter
{
    private const string JsonContentType = "application/json; charset=utf-8";

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static void WriteJson<T>(HttpResponse response, T value, JsonTypeInfo<T> typeInfo)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, value, typeInfo);
        writer.Flush();
        response.ContentType = JsonContentType;
        response.ContentLength = buffer.WrittenCount;
        response.BodyWriter.Write(buffer.WrittenSpan);
    }
}
