namespace Gateway.LoadBalancing;

/// <summary>
/// nginx's passive health, exactly as ngx_http_upstream_round_robin.c counts it (every balancing method frees its
/// peer through ngx_http_upstream_free_round_robin_peer, and each method's get-peer loop skips and checks peers the
/// same way). Times are whole seconds, as nginx's <c>ngx_time()</c>.
/// <list type="bullet">
/// <item>A failure: <c>fails++</c>, <c>accessed = checked = now</c>; with max_fails, <c>effective_weight -= weight / max_fails</c>
/// (not below 0), and at <c>fails &gt;= max_fails</c> nginx warns "upstream server temporarily disabled".</item>
/// <item>Anything else (a response, a 403/404 passed on, the client leaving): <c>fails = 0</c> only when
/// <c>accessed &lt; checked</c>, i.e. the peer was picked again more than fail_timeout after its last failure. So failures
/// with successes between them within fail_timeout add up and mark the peer.</item>
/// <item>A peer with <c>fails &gt;= max_fails</c> is skipped while <c>now - checked &lt;= fail_timeout</c>.</item>
/// <item>A pick with <c>now - checked &gt; fail_timeout</c> sets <c>checked = now</c>: a marked peer gets one probe, and
/// other requests skip it again until the probe's outcome (or another fail_timeout) says otherwise.</item>
/// </list>
/// max_fails=0 turns all of it off.
/// </summary>
public static class NginxFailCounting
{
    /// <summary>Whether the peer is skipped at <paramref name="now"/>.</summary>
    public static bool IsMarked(NginxPeer peer, int maxFails, long failTimeout, long now) =>
        maxFails > 0 && peer.Fails >= maxFails && now - peer.Checked <= failTimeout;

    /// <summary>A try failed; returns whether nginx logs "upstream server temporarily disabled".</summary>
    public static bool Failed(NginxPeer peer, int weight, int maxFails, long now)
    {
        peer.Fails++;
        peer.Accessed = now;
        peer.Checked = now;
        if (maxFails <= 0)
        {
            return false;
        }

        peer.EffectiveWeight = Math.Max(0, peer.Effective(weight) - (weight / maxFails));
        return peer.Fails >= maxFails;
    }

    /// <summary>A try ended otherwise; returns whether it cleared the peer's failures.</summary>
    public static bool Succeeded(NginxPeer peer)
    {
        if (peer.Accessed < peer.Checked && peer.Fails > 0)
        {
            peer.Fails = 0;
            return true;
        }

        return false;
    }

    /// <summary>The peer was picked; returns whether the pick was a marked peer's probe (its mark starts again now).</summary>
    public static bool Picked(NginxPeer peer, int maxFails, long failTimeout, long now)
    {
        if (now - peer.Checked <= failTimeout)
        {
            return false;
        }

        peer.Checked = now;
        return maxFails > 0 && peer.Fails >= maxFails;
    }

    /// <summary>When a mark set at <paramref name="checkedAt"/> ends: the first second with <c>now - checked &gt; fail_timeout</c>.</summary>
    public static DateTimeOffset MarkEnds(long checkedAt, long failTimeout) =>
        DateTimeOffset.FromUnixTimeSeconds(checkedAt + failTimeout + 1);
}
