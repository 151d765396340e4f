using System.Collections.Concurrent;

namespace Gateway.Upstream;

/// <summary>
/// The process's lean connection pools, one per destination prefix ("http://host:port"), shared by every cluster's
/// handler so a reload that builds new clients keeps the warm connections. Looked up by a span of the request URI:
/// no string is made per request.
/// </summary>
internal sealed class LeanConnectionPools : IDisposable
{
    /// <summary>SocketsHttpHandler's PooledConnectionIdleTimeout default.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, LeanConnectionPool> _pools = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LeanConnectionPool>.AlternateLookup<ReadOnlySpan<char>> _byPrefix;
    private readonly Timer _scavenger;
    private readonly Timer _watchdog;
    private readonly bool _epoll;

    /// <param name="epoll">Whether new connections join the epoll event loops (Gateway/Transport) instead of .NET's sockets.</param>
    public LeanConnectionPools(bool epoll = false)
    {
        _epoll = epoll;
        _byPrefix = _pools.GetAlternateLookup<ReadOnlySpan<char>>();
        _scavenger = new Timer(static s => ((LeanConnectionPools)s!).Scavenge(), this, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15));
        // The lean forwarder's activity timeouts, to within a second: one check a second instead of a timer set per request.
        _watchdog = new Timer(static s => ((LeanConnectionPools)s!).CheckActivity(), this, WatchdogPeriod, WatchdogPeriod);
    }

    /// <summary>How often tries are checked for activity (<see cref="LeanConnection.CheckActivity"/>).</summary>
    public static readonly TimeSpan WatchdogPeriod = TimeSpan.FromSeconds(1);

    /// <summary>The pool for "http://host:port" (a Uri is made only the first time).</summary>
    public LeanConnectionPool Get(ReadOnlySpan<char> prefix) => _byPrefix.TryGetValue(prefix, out var pool) ? pool : Add(prefix.ToString());

    // Apart from Get: a lambda capturing state there would allocate its closure on every call, hit or miss.
    private LeanConnectionPool Add(string prefix) => _pools.GetOrAdd(prefix, static (p, epoll) => new LeanConnectionPool(new Uri(p), epoll), _epoll);

    public IEnumerable<LeanConnectionPool> All => _pools.Values;

    private void CheckActivity()
    {
        var now = Environment.TickCount64;
        foreach (var pool in _pools.Values)
        {
            pool.CheckActivity(now);
        }
    }

    private void Scavenge()
    {
        foreach (var pool in _pools.Values)
        {
            pool.Scavenge(IdleTimeout);
        }
    }

    public void Dispose()
    {
        _scavenger.Dispose();
        _watchdog.Dispose();
        foreach (var pool in _pools.Values)
        {
            pool.Dispose();
        }
    }
}
