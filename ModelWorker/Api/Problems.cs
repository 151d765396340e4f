using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace ModelWorker.Api;

/// <summary>RFC 9457 problem+json answers whose detail says what to fix.</summary>
internal static class Problems
{
    public static Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = $"https://httpwg.org/specs/rfc9110.html#status.{status}",
            Instance = context.Request.Path,
        };
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(problem, ProblemJsonContext.Default.ProblemDetails, "application/problem+json");
    }
}
