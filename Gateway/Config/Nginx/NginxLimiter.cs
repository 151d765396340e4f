using System.Globalization;
using Gateway.RateLimits;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx's preaccess phase (ngx_http_limit_req_module, then ngx_http_limit_conn_module) on the gateway's rate limits:
/// each check takes a token (or waits for one, without nodelay) or a concurrency permit from its
/// <c>LbProxy.RateLimits</c> rule under the zone's key for this request; the first one that turns the request away
/// gives the status nginx would (limit_req_status / limit_conn_status, 503 by default) and writes nginx's error-log
/// line. Once per request, as nginx: an internal redirect does not count it again. Permits are held until the
/// response has been sent.
/// </summary>
internal static class NginxLimiter
{
    private const string CheckedKey = "LbProxy.NginxLimitsChecked";

    /// <summary>0 to go on, else the status to answer.</summary>
    public static async Task<int> CheckAsync(HttpContext context, NginxRequestState state, IReadOnlyList<NginxLimitCheck> checks)
    {
        if (!context.Items.TryAdd(CheckedKey, true) || context.RequestServices.GetService<ClientLimits>() is not { } limits)
        {
            return 0;
        }

        var set = limits.Current;
        foreach (var check in checks)
        {
            var key = check.Key.Evaluate(state);
            var limit = set.All.FirstOrDefault(l => l.Name == check.RuleName);
            if (key.Length == 0 || limit is null)
            {
                continue; // nginx: a request with an empty key is not accounted
            }

            var pending = limit.AcquireAsync(key, context.RequestAborted);
            if (!pending.IsCompleted)
            {
                // In line for a token: nginx's delayed request, whose excess is its place in that line.
                LogDelay(state, check, limit.QueuedCount(key));
            }

            var (lease, rejectedBy, _) = await pending;
            if (rejectedBy is not null)
            {
                limits.RecordRejection(limit, rejectedBy);
                Log(state, check);
                return check.Status;
            }

            if (lease is not null)
            {
                context.Response.RegisterForDispose(lease);
            }
        }

        return 0;
    }

    /// <summary>nginx logs a delay one level below limit_req_log_level (info stays info).</summary>
    private static void LogDelay(NginxRequestState state, NginxLimitCheck check, long excess)
    {
        var level = check.LogLevel switch { "error" => "warn", "warn" => "notice", _ => "info" };
        if (state.ErrorLog is { } log && log.Enabled(level))
        {
            log.Write(level, NginxErrorLog.NextRequestNumber(), string.Create(CultureInfo.InvariantCulture,
                $"delaying request, excess: {excess}.000, by zone \"{check.Zone}\", client: {NginxVariables.Get("remote_addr", state)}, "
                + $"server: {state.Server?.FirstName}, request: \"{NginxVariables.Get("request", state)}\", host: \"{state.Context.Request.Host.Value}\""));
        }
    }

    private static void Log(NginxRequestState state, NginxLimitCheck check)
    {
        if (state.ErrorLog is not { } log || !log.Enabled(check.LogLevel))
        {
            return;
        }

        // nginx prints the zone's excess at the rejection; over the burst it is burst + 1 requests (less what drained
        // since the last one, which a token bucket does not keep: see README).
        var what = check.IsRequest
            ? string.Create(CultureInfo.InvariantCulture, $"limiting requests, excess: {check.Burst + 1:F3} by zone \"{check.Zone}\"")
            : $"limiting connections by zone \"{check.Zone}\"";
        log.Write(check.LogLevel, NginxErrorLog.NextRequestNumber(), $"{what}, client: {NginxVariables.Get("remote_addr", state)}, "
            + $"server: {state.Server?.FirstName}, request: \"{NginxVariables.Get("request", state)}\", host: \"{state.Context.Request.Host.Value}\"");
    }
}
