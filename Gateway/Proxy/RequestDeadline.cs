using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Proxy;

/// <summary>
/// Envoy's two deadlines that an idle timeout cannot give (the idle one is YARP's ActivityTimeout): the per-try
/// timeout, from a try's start to its first response byte, and the route timeout, from the request's arrival to its
/// last byte, across every try. It stands in for the request's lifetime feature while the request is forwarded, so
/// the forwarder's own cancellation is what stops a try: the token it sees fires when the client leaves or when
/// a deadline passes, and <see cref="Fired"/> tells the two apart. An ended deadline is kept, timer and token source and all,
/// for the next request on its thread (as Kestrel keeps a connection's RequestAborted source): a timer callback is honoured
/// only at or after the due time armed now, and a source is reset for the next request only when it was never cancelled
/// and no callback was running as the request ended, so nothing armed for one request can reach the next.
/// </summary>
internal sealed class RequestDeadline : IHttpRequestLifetimeFeature, IDisposable
{
    private const int CachedPerThread = 64;

    // Deadlines ended on this thread, kept with their timers: a request on an event loop takes one back instead of
    // allocating the object and a timer (~200 B and a timer queue entry made and removed per request).
    [ThreadStatic]
    private static Stack<RequestDeadline>? t_cache;

    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private IHttpRequestLifetimeFeature _client = null!;
    private long _arrived;
    private TimeSpan _route; // zero = none
    private CancellationTokenSource? _source; // reset for the next request when it can be, else a new one (Start)
    private CancellationTokenRegistration _link;

    // The armed deadline. Arm writes the due time and kind, then publishes the token source it is for; the timer's
    // callback reads in the reverse order, so a callback that sees this request's source also sees its due time.
    private long _dueAt;
    private DeadlineKind _armedKind;
    private CancellationTokenSource? _armedSource;

    // Which deadline cancelled which source: a callback left over from an earlier request marks only that one's.
    private CancellationTokenSource? _firedSource;
    private DeadlineKind _firedKind;

    // Timer callbacks running now. The end of a request reads it after it disarmed (both full fences): a callback that
    // could still cancel the request's source keeps that source from being reset for the next request.
    private int _firing;

    private RequestDeadline(TimeProvider time)
    {
        _time = time;
        _timer = time.CreateTimer(static state => ((RequestDeadline)state!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>A deadline for a request that arrived at <paramref name="arrived"/>, reusing one this thread ended if it can.</summary>
    public static RequestDeadline Start(IHttpRequestLifetimeFeature client, TimeProvider time, long arrived, TimeSpan route)
    {
        RequestDeadline? deadline = null;
        if (t_cache is { } cache)
        {
            while (cache.TryPop(out var cached))
            {
                if (cached._time == time)
                {
                    deadline = cached;
                    break;
                }

                cached._timer.Dispose(); // another host's clock (tests run several in one process)
            }
        }

        deadline ??= new RequestDeadline(time);
        deadline._client = client;
        deadline._arrived = arrived;
        deadline._route = route;
        deadline._source ??= new CancellationTokenSource();
        deadline._firedSource = null;
        deadline._link = client.RequestAborted.UnsafeRegister(static state => ((RequestDeadline)state!).Cancel(), deadline);
        return deadline;
    }

    /// <summary>
    /// The request's tries, found through this feature by the response transform (<see cref="RetryResponseTransform.Received"/>):
    /// the deadline stands in for the lifetime feature during every try, so the tries need no feature of their own.
    /// </summary>
    public AttemptState? Attempt { get; set; }

    /// <summary>Which deadline stopped the current try, if one did.</summary>
    public DeadlineKind Fired => _source is { } source && Volatile.Read(ref _firedSource) == source ? _firedKind : DeadlineKind.None;

    public CancellationToken RequestAborted
    {
        get => _source!.Token;
        set => throw new NotSupportedException("the gateway sets the forwarding deadline");
    }

    public void Abort() => _client.Abort();

    /// <summary>
    /// A try begins at <paramref name="now"/> (the caller's clock reading, a timestamp of this deadline's clock): it has
    /// <paramref name="tryTimeout"/> to its first response byte, within the route's deadline.
    /// </summary>
    public void StartTry(TimeSpan tryTimeout, long now)
    {
        if (_source!.IsCancellationRequested && !_client.RequestAborted.IsCancellationRequested)
        {
            // The last try was stopped by a deadline: a fresh token for this one.
            _source.Dispose();
            _source = new CancellationTokenSource();
        }

        // Without a route deadline there is nothing to read: the try's own timeout is armed.
        if (_route > TimeSpan.Zero && RouteLeft(now) is var routeLeft && routeLeft <= tryTimeout)
        {
            Arm(DeadlineKind.Route, routeLeft, now);
        }
        else
        {
            Arm(DeadlineKind.Try, tryTimeout, now);
        }
    }

    /// <summary>The first response byte came: only the route's deadline is left (the idle timeout is the forwarder's).</summary>
    public void FirstByte()
    {
        if (_route > TimeSpan.Zero)
        {
            var now = _time.GetTimestamp();
            Arm(DeadlineKind.Route, RouteLeft(now), now);
        }
        else
        {
            Disarm();
        }
    }

    /// <summary>Whether the route's deadline has passed (no new try then).</summary>
    public bool RouteExpired => _route > TimeSpan.Zero && RouteLeft(_time.GetTimestamp()) <= TimeSpan.Zero;

    private TimeSpan RouteLeft(long now) => _route - _time.GetElapsedTime(_arrived, now);

    private void Arm(DeadlineKind kind, TimeSpan after, long now)
    {
        after = after > TimeSpan.Zero ? after : TimeSpan.Zero;
        _dueAt = now + (long)((Int128)after.Ticks * _time.TimestampFrequency / TimeSpan.TicksPerSecond);
        _armedKind = kind;
        Volatile.Write(ref _armedSource, _source);
        _timer.Change(after, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Nothing is armed any more. The timer itself is left to run out: its callback then finds nothing armed and does
    /// nothing, and the next arming moves it anyway. That saves a timer-queue update (a lock) at the first byte and
    /// another at the end of every request. A callback comes only for a deadline that is not armed again within its
    /// timeout (one left in its thread's cache when traffic drops), once.
    /// </summary>
    private void Disarm() => Volatile.Write(ref _armedSource, null);

    /// <summary>The timer's callback (internal for tests: a late one from an earlier arming).</summary>
    internal void Fire()
    {
        Interlocked.Increment(ref _firing);
        try
        {
            FireArmed();
        }
        finally
        {
            Interlocked.Decrement(ref _firing);
        }
    }

    private void FireArmed()
    {
        var source = Volatile.Read(ref _armedSource);
        if (source is null)
        {
            return;
        }

        var kind = _armedKind;
        var early = _dueAt - _time.GetTimestamp();
        if (early > 0)
        {
            // A callback of an earlier arming (the timer was moved while it was already queued), or the timer's
            // millisecond clock ran ahead of the timestamp's: wait for the deadline that is armed now (whole
            // milliseconds, the timer's own unit, so it does not come back at once).
            try
            {
                _timer.Change(TimeSpan.FromMilliseconds(Math.Ceiling(early * 1000.0 / _time.TimestampFrequency)), Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Ended meanwhile and not kept (its thread's cache was full): nothing is armed any more.
            }

            return;
        }

        if (source == _source && _client is { } client && client.RequestAborted.IsCancellationRequested)
        {
            return; // the client left: that cancelled the request already, and it is not a deadline's doing
        }

        _firedKind = kind;
        Volatile.Write(ref _firedSource, source);
        Cancel(source);
    }

    // The client-abort callback: unregistered (waiting for a running one) before the source is let go in Dispose.
    private void Cancel() => Cancel(_source!);

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The request ended meanwhile.
        }
    }

    /// <summary>The request is done: nothing is armed, and the deadline waits on this thread for the next request.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _armedSource, null); // a full fence before _firing is read (Fire: the other way round)
        _link.Dispose(); // waits for a client-abort callback that is running, so none touches the next request
        if (Volatile.Read(ref _firing) != 0 || !_source!.TryReset())
        {
            // Cancelled (the client left, or a deadline passed), or a timer callback may be about to cancel it: the next
            // request gets a new source, and whatever comes late cancels only this spent one.
            _source!.Dispose();
            _source = null;
        }

        _client = null!;
        Attempt = null;
        var cache = t_cache ??= new Stack<RequestDeadline>();
        if (cache.Count < CachedPerThread)
        {
            cache.Push(this);
        }
        else
        {
            _timer.Dispose();
        }
    }
}

/// <summary>Which of a request's deadlines fired.</summary>
internal enum DeadlineKind
{
    None,
    Try,
    Route,
}
