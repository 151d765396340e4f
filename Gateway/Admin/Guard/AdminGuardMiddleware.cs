using Gateway.Config;
using Gateway.Proxy;
using Microsoft.AspNetCore.Http;

namespace Gateway.Admin.Guard;

/// <summary>
/// The first middleware of the admin app, so every endpoint (those added later included) is guarded. Loopback clients
/// may read; a state change (any method but GET and HEAD) needs <c>Authorization: Bearer TOKEN</c> when a token is set,
/// and comes only from loopback when none is; off loopback everything needs the token, except the Kubernetes probes
/// (<c>/healthz</c>, <c>/readyz</c>) and, when opened, <c>/metrics</c>. 401 (with WWW-Authenticate) or 403, problem+json.
/// </summary>
internal sealed class AdminGuardMiddleware(RequestDelegate next, ConfigState config, AdminEnvironment environment)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var read = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        var options = config.Current?.Options.Admin;
        if (read && (request.Path == "/healthz" || request.Path == "/readyz"
            || (request.Path == "/metrics" && (environment.OpenMetrics || options?.OpenMetrics == true))))
        {
            return next(context);
        }

        var token = environment.Token ?? options?.Token;
        var loopback = AdminBinding.IsLoopback(context.Connection.RemoteIpAddress);
        if (string.IsNullOrEmpty(token))
        {
            return loopback ? next(context)
                : Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden",
                    $"The admin API answers only loopback clients while no token is set. Set {AdminGuardOptions.TokenVariable} (or LbProxy.Admin.Token) " +
                    "and send Authorization: Bearer TOKEN.", cluster: null, retryAfterSeconds: null);
        }

        var presented = Bearer(request.Headers.Authorization.ToString());
        if (presented is not null && AdminToken.Matches(token, presented))
        {
            return next(context);
        }

        if (loopback && read)
        {
            return next(context);
        }

        // Problems.WriteAsync clears the headers first: the challenge goes on as the response starts.
        var challenge = presented is null ? "Bearer realm=\"lbproxy-admin\"" : "Bearer realm=\"lbproxy-admin\", error=\"invalid_token\"";
        context.Response.OnStarting(() =>
        {
            context.Response.Headers.WWWAuthenticate = challenge;
            return Task.CompletedTask;
        });
        return Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized",
            presented is null
                ? $"{(read ? "Requests from off loopback" : "State-changing requests")} need the admin token: send Authorization: Bearer TOKEN."
                : "The bearer token does not match the admin token.", cluster: null, retryAfterSeconds: null);
    }

    private static string? Bearer(string header) =>
        header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
}
