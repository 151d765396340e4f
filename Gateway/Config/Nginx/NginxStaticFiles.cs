using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx's index and static modules for a location that neither proxies nor returns: <c>root</c> + URI. A URI ending in
/// '/' is redirected internally to its first <c>index</c> file that exists (403 when the directory exists without one,
/// 404 when it does not); a file is sent with its type from <c>types</c> (else <c>default_type</c>), Last-Modified, ETag
/// and Accept-Ranges as nginx sends them; a directory without the slash is a 301 to it with the slash; a missing file
/// is 404, an unreadable one 403; methods other than GET and HEAD are 405 (ngx_http_index_module.c,
/// ngx_http_static_module.c).
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
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = NginxResponses.TypeOf(uri, types) ?? location.DefaultType;
            response.ContentLength = file.Length;
            var modified = new DateTimeOffset(file.LastWriteTimeUtc);
            response.Headers.LastModified = modified.ToString("R", CultureInfo.InvariantCulture);
            // nginx's ETag: "<mtime in hex>-<size in hex>".
            response.Headers.ETag = $"\"{modified.ToUnixTimeSeconds():x}-{file.Length:x}\"";
            response.Headers.AcceptRanges = "bytes";
            NginxResponses.AddHeaders(context, state, location.AddHeaders);
            if (!HttpMethods.IsHead(method))
            {
                await stream.CopyToAsync(response.Body, context.RequestAborted);
            }
        }

        return new Outcome(0, null);
    }
}
