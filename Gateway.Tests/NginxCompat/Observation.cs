using System.Text.Json;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// What one request produced, reduced to what must be equal between nginx and the gateway: the status; for a
/// backend's answer, which backend, the target and the chosen headers it received; for nginx's own answer, the body
/// (its built-in HTML error pages in full but for the line that names the server, with the reason phrase and whether a
/// Content-Length came with them); the chosen response headers.
/// </summary>
public sealed partial record Observation(int Status, string? Backend, string Text)
{
    public static Observation From(int status, string contentType, string body, IReadOnlyDictionary<string, string> responseHeaders,
        IReadOnlyList<string> backendHeaders, string? reason = null, bool sized = true)
    {
        var headers = string.Join(" ", responseHeaders.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}=[{h.Value}]"));
        if (contentType.StartsWith("application/json", StringComparison.Ordinal) && body.StartsWith('{'))
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var received = root.GetProperty("headers");
            var picked = backendHeaders.Select(h => received.TryGetProperty(h.ToLowerInvariant(), out var v) ? $"{h}=[{v.GetString()}]" : $"{h}=(none)");
            var backend = root.GetProperty("backend").GetString();
            return new Observation(status, backend, $"{status} {backend} {root.GetProperty("method").GetString()} {root.GetProperty("target").GetString()} {string.Join(" ", picked)} | {headers}");
        }

        var text = contentType.StartsWith("text/html", StringComparison.Ordinal) && body.StartsWith("<html>", StringComparison.Ordinal)
            ? $"{(sized ? "" : "(chunked) ")}\"{reason}\" {JsonSerializer.Serialize(ServerLine().Replace(body, "<hr><center>SERVER</center>"))}"
            : JsonSerializer.Serialize(body);
        return new Observation(status, null, $"{status} {text} | {headers}");
    }

    public static Observation Closed { get; } = new(0, null, "connection closed without a response");

    public override string ToString() => Text;

    /// <summary>The signature line of nginx's pages: <c>nginx/1.22.1</c> there, <c>lbproxy-nginx</c> here.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("<hr><center>[^<]*</center>")]
    private static partial System.Text.RegularExpressions.Regex ServerLine();
}
