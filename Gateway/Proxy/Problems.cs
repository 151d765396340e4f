using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Gateway.Proxy;

/// <summary>The gateway's own error answers: RFC 9457 problem+json that says what happened and what to do.</summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    public static Task WriteAsync(HttpContext context, int status, string title, string detail, string? cluster, int? retryAfterSeconds = 1,
        string? allow = null)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        response.Clear();
        response.StatusCode = status;
        response.ContentType = ContentType;
        if (retryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (allow is not null)
        {
            response.Headers.Allow = allow; // 405 must say what is allowed (RFC 9110 15.5.6)
        }

        var body = new Dictionary<string, object?>
        {
            ["type"] = $"https://httpwg.org/specs/rfc9110.html#status.{status}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["instance"] = context.Request.Path.Value,
            ["cluster"] = cluster,
        };
        return JsonSerializer.SerializeAsync(response.Body, body, cancellationToken: context.RequestAborted);
    }
}
