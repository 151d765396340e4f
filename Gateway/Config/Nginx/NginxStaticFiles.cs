using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx's index and static modules for a location that neither proxies nor returns: <c>root</c> + URI. A URI ending in
/// '/' is redirected internally to its first <c>index</c> file that exists (403 when the directory exists without one,
/// 404 when it does not); a file is sent with its type from <c>types</c> (else <c>default_type</c>), Last-Modified, ETag
/// and Accept-Ranges as nginx sends them; a directory without the slash is a 301 to it with the slash; a missing file
/// is 404, an unreadable one 403; methods other than GET and HEAD are 405 (ngx_http_index_module.c,
/// ngx_http_static_module.c). Conditional requests (304, 412) are <see cref="NginxConditional"/>'s, byte ranges
/// (206, 416) <see cref="NginxByteRanges"/>'.
/// </summary>
public static class NginxStaticFiles
{
    /// <summary>What the static phase decided: a status for the front to answer (0 = answered here), or a URI to redirect to.</summary>
    public readonly record struct Outcome(int Status, string? IndexUri);

    public static async Task<Outcome> ServeAsync(HttpContext context, NginxRequestState state, NginxLocation location, IReadOnlyDictionary<string, string> types)
    {
        var method = context.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsPost(method))
        {
            return new Outcome(StatusCodes.Status405MethodNotAllowed, null);
        }

        var uri = state.Uri;
        var path = location.Root + uri;
        if (uri.EndsWith('/'))
        {
            foreach (var index in location.Index)
            {
                if (index.StartsWith('/') ? File.Exists(location.Root + index) : File.Exists(path + index))
                {
                    return new Outcome(0, index.StartsWith('/') ? index : uri + index);
                }
            }

            return new Outcome(Directory.Exists(path) ? StatusCodes.Status403Forbidden : StatusCodes.Status404NotFound, null);
        }

        if (Directory.Exists(path))
        {
            var target = uri + "/" + (state.Args.Length > 0 ? "?" + state.Args : "");
            context.Response.Headers.Location = $"{context.Request.Scheme}://{context.Request.Host}{target}";
            return new Outcome(StatusCodes.Status301MovedPermanently, null);
        }

        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return new Outcome(StatusCodes.Status404NotFound, null);
        }

        if (HttpMethods.IsPost(method))
        {
            return new Outcome(StatusCodes.Status405MethodNotAllowed, null);
        }

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, useAsync: true);
        }
        catch (UnauthorizedAccessException)
        {
            return new Outcome(StatusCodes.Status403Forbidden, null);
        }

        await using (stream)
        {
            var response = context.Response;
            var modified = new DateTimeOffset(file.LastWriteTimeUtc);
            var lastModified = modified.ToUnixTimeSeconds();
            // nginx's ETag: "<mtime in hex>-<size in hex>".
            var etag = $"\"{lastModified:x}-{file.Length:x}\"";
            var conditional = NginxConditional.Evaluate(context.Request.Headers, lastModified, etag);
            if (conditional == StatusCodes.Status412PreconditionFailed)
            {
                return new Outcome(conditional, null); // nginx's page, before add_header and the file's own headers
            }

            response.StatusCode = StatusCodes.Status200OK;
            response.Headers.LastModified = modified.ToString("R", CultureInfo.InvariantCulture);
            response.Headers.ETag = etag;
            NginxResponses.AddHeaders(context, state, location.AddHeaders);
            if (conditional == StatusCodes.Status304NotModified)
            {
                response.StatusCode = StatusCodes.Status304NotModified; // no type, length or Accept-Ranges, as nginx
                return new Outcome(0, null);
            }

            var type = NginxResponses.TypeOf(uri, types) ?? location.DefaultType;
            var (kind, ranges) = NginxByteRanges.Parse(context.Request.Headers, file.Length, lastModified, etag);
            switch (kind)
            {
                case NginxByteRanges.Kind.NotSatisfiable:
                    // nginx's 416 page keeps add_header (added while the status was 200) and drops the file's headers.
                    response.Headers.Remove("Last-Modified");
                    response.Headers.Remove("ETag");
                    response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes */{file.Length}");
                    await NginxResponses.ErrorPageAsync(context, StatusCodes.Status416RangeNotSatisfiable);
                    return new Outcome(0, null);
                case NginxByteRanges.Kind.Partial:
                    await SendRangesAsync(context, stream, type, file.Length, ranges);
                    return new Outcome(0, null);
            }

            response.ContentType = type;
            response.ContentLength = file.Length;
            response.Headers.AcceptRanges = "bytes";
            if (!HttpMethods.IsHead(method))
            {
                await stream.CopyToAsync(response.Body, context.RequestAborted);
            }
        }

        return new Outcome(0, null);
    }

    /// <summary>206: one range with Content-Range, several as multipart/byteranges with nginx's boundary and part headers.</summary>
    private static async Task SendRangesAsync(HttpContext context, FileStream stream, string type, long length, IReadOnlyList<(long Start, long End)> ranges)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status206PartialContent;
        var head = HttpMethods.IsHead(context.Request.Method);
        if (ranges.Count == 1)
        {
            var (start, end) = ranges[0];
            response.ContentType = type;
            response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {start}-{end - 1}/{length}");
            response.ContentLength = end - start;
            if (!head)
            {
                await CopyAsync(stream, response.Body, start, end - start, context.RequestAborted);
            }

            return;
        }

        var boundary = NginxByteRanges.NextBoundary();
        var parts = ranges.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"\r\n--{boundary}\r\nContent-Type: {type}\r\nContent-Range: bytes {r.Start}-{r.End - 1}/{length}\r\n\r\n")).ToList();
        var tail = $"\r\n--{boundary}--\r\n";
        response.ContentType = $"multipart/byteranges; boundary={boundary}";
        response.ContentLength = parts.Sum(p => (long)p.Length) + ranges.Sum(r => r.End - r.Start) + tail.Length;
        if (head)
        {
            return;
        }

        for (var i = 0; i < ranges.Count; i++)
        {
            await response.WriteAsync(parts[i], context.RequestAborted);
            await CopyAsync(stream, response.Body, ranges[i].Start, ranges[i].End - ranges[i].Start, context.RequestAborted);
        }

        await response.WriteAsync(tail, context.RequestAborted);
    }

    private static async Task CopyAsync(FileStream stream, Stream body, long offset, long count, CancellationToken cancellationToken)
    {
        stream.Position = offset;
        var buffer = new byte[(int)Math.Min(count, 64 * 1024)];
        while (count > 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken);
            if (read == 0)
            {
                break;
            }

            await body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            count -= read;
        }
    }
}
