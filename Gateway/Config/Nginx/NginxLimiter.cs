using System.Globalization;
using System.Text;
using Gateway.RateLimits;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx's preaccess phase (ngx_http_limit_req_module, then ngx_http_limit_conn_module) on the gateway's rate limits.
/// limit_req: the location's limits, in order, on their zones' rules (<see cref="RateAdmission"/>: nginx's excess per key
/// per zone, each limit's own burst, nothing counted when one refuses); a refused request gets limit_req_status, a
/// delayed one waits <c>(excess - delay) / rate</c>. limit_conn: requests in progress per key per zone, each limit with
/// its own number, held until the response has been sent. Each writes nginx's error-log lines and runs once per request
/// (an internal redirect does not count it again), from the first location where a key is not empty.
/// </summary>
internal static class NginxLimiter
{
    private const string RequestsCheckedKey = "LbProxy.NginxLimitReqChecked";
    private const string ConnectionsCheckedKey = "LbProxy.NginxLimitConnChecked";

    /// <summary>0 to go on, else the status to answer.</summary>
    public static async Task<int> CheckAsync(HttpContext context, NginxRequestState state, IReadOnlyList<NginxLimitCheck> checks)
    {
        if (context.RequestServices.GetService<ClientLimits>() is not { } limits)
        {
            return 0;
        }

        var set = limits.Current;
        var status = context.Items.ContainsKey(RequestsCheckedKey) ? 0 : await RequestsAsync(context, state, checks, set, limits);
        return status != 0 || context.Items.ContainsKey(ConnectionsCheckedKey) ? status : Connections(context, state, checks, set, limits);
    }

    private static async Task<int> RequestsAsync(HttpContext context, NginxRequestState state, IReadOnlyList<NginxLimitCheck> checks, ClientLimitSet set,
        ClientLimits limits)
    {
        List<(NginxLimitCheck Check, ClientLimit Limit, RateCheck Rate)>? counted = null;
        foreach (var check in checks)
        {
            var key = check.IsRequest ? check.Key.Evaluate(state) : "";
            if (key.Length > 0 && !TooLong(state, check, key, 65535) && Rule(set, check) is { Zone: { } zone } limit) // nginx: an empty key is not accounted
            {
                (counted ??= []).Add((check, limit, new RateCheck(zone, key, check.Burst * 1000L, check.Delay * 1000L)));
            }
        }

        if (counted is null)
        {
            return 0;
        }

        context.Items[RequestsCheckedKey] = true;
        var time = counted[0].Limit.Time;
        var decision = RateAdmission.Admit([.. counted.Select(c => c.Rate)], RateAdmission.NowMs(time));
        if (decision.Rejected)
        {
            var (check, limit, _) = counted[decision.Limit];
            limit.CountRejection(LimitKind.Rate);
            limits.RecordRejection(limit, LimitKind.Rate);
            Log(state, check.LogLevel, string.Create(CultureInfo.InvariantCulture, $"limiting requests, excess: {Excess(decision.Excess)} by zone \"{check.Zone}\""));
            return check.Status;
        }

        if (decision.DelayMs > 0)
        {
            var check = counted[decision.Limit].Check;
            var level = check.LogLevel switch { "error" => "warn", "warn" => "notice", _ => "info" }; // nginx: one level below, info stays info
            Log(state, level, $"delaying request, excess: {Excess(decision.Excess)}, by zone \"{check.Zone}\"");
            await Task.Delay(TimeSpan.FromMilliseconds(decision.DelayMs), time, context.RequestAborted);
        }

        return 0;
    }

    private static int Connections(HttpContext context, NginxRequestState state, IReadOnlyList<NginxLimitCheck> checks, ClientLimitSet set, ClientLimits limits)
    {
        List<InFlightPermit<string>>? held = null;
        foreach (var check in checks)
        {
            var key = check.IsRequest ? "" : check.Key.Evaluate(state);
            if (key.Length == 0 || TooLong(state, check, key, 255) || Rule(set, check) is not { InFlight: { } inFlight } limit)
            {
                continue;
            }

            context.Items[ConnectionsCheckedKey] = true;
            if (inFlight.TryEnter(key, check.Connections) is { } permit)
            {
                (held ??= []).Add(permit);
                continue;
            }

            // Refused: what this request took on earlier zones is given back at once.
            held?.ForEach(p => p.Dispose());
            limit.CountRejection(LimitKind.Concurrency);
            limits.RecordRejection(limit, LimitKind.Concurrency);
            Log(state, check.LogLevel, $"limiting connections by zone \"{check.Zone}\"");
            return check.Status;
        }

        held?.ForEach(context.Response.RegisterForDispose);
        return 0;
    }

    /// <summary>nginx does not count a key longer than its node can hold (65535 bytes for limit_req, 255 for limit_conn): it logs it and goes on.</summary>
    private static bool TooLong(NginxRequestState state, NginxLimitCheck check, string key, int max)
    {
        if (key.Length <= max / 3 || Encoding.UTF8.GetByteCount(key) <= max)
        {
            return false;
        }

        Log(state, "error", $"the value of the \"{check.Key.Source}\" key is more than {max} bytes: \"{key}\"");
        return true;
    }

    private static ClientLimit? Rule(ClientLimitSet set, NginxLimitCheck check) => set.All.FirstOrDefault(l => l.Name == check.RuleName);

    /// <summary>nginx prints an excess in requests with three decimals (it counts thousandths).</summary>
    private static string Excess(long excess) => string.Create(CultureInfo.InvariantCulture, $"{excess / 1000}.{excess % 1000:000}");

    private static void Log(NginxRequestState state, string level, string what)
    {
        if (state.ErrorLog is { } log && log.Enabled(level))
        {
            log.Write(level, NginxErrorLog.NextRequestNumber(), $"{what}, client: {NginxVariables.Get("remote_addr", state)}, "
                + $"server: {state.Server?.FirstName}, request: \"{NginxVariables.Get("request", state)}\", host: \"{state.Context.Request.Host.Value}\"");
        }
    }
}
