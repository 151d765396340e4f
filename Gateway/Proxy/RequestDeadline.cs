using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Proxy;

/// <summary>
/// Envoy's two deadlines that an idle timeout cannot give (the idle one is YARP's ActivityTimeout): the per-try
/// timeout, from a try's start to its first response byte, and the route timeout, from the request's arrival to its
/// last byte, across every try. It stands in for the request's lifetime feature while the request is forwarded, so
/// the forwarder's own cancellation is what stops a try: the token it sees fires when the client leaves or when
/// a deadline passes, and <see cref="Fired"/> tells the two apart.
/// </summary>
internal sealed class RequestDeadline : IHttpRequestLifetimeFeature, IDisposable
{
    private readonly IHttpRequestLifetimeFeature _client;
    private readonly TimeProvider _time;
    private readonly long _arrived;
    private readonly TimeSpan _route; // zero = none
    private readonly ITimer _timer;
    private CancellationTokenSource _source = new();
    private CancellationTokenRegistration _link;
    private volatile DeadlineKind _armed;
    private volatile DeadlineKind _fired;

    public RequestDeadline(IHttpRequestLifetimeFeature client, TimeProvider time, long arrived, TimeSpan route)
    {
        _client = client;
        _time = time;
        _arrived = arrived;
        _route = route;
        _timer = time.CreateTimer(static state => ((RequestDeadline)state!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _link = client.RequestAborted.UnsafeRegister(static state => ((RequestDeadline)state!).Cancel(), this);
    }

    /// <summary>Which deadline stopped the current try, if one did.</summary>
    public DeadlineKind Fired => _fired;

    public CancellationToken RequestAborted
    {
        get => _source.Token;
        set => throw new NotSupportedException("the gateway sets the forwarding deadline");
    }

    public void Abort() => _client.Abort();

    /// <summary>A try begins: it has <paramref name="tryTimeout"/> to its first response byte, within the route's deadline.</summary>
    public void StartTry(TimeSpan tryTimeout)
    {
        if (_source.IsCancellationRequested && !_client.RequestAborted.IsCancellationRequested)
        {
            // The last try was stopped by a deadline: a fresh token for this one.
            _source.Dispose();
            _source = new CancellationTokenSource();
        }

        _fired = DeadlineKind.None;
        var routeLeft = RouteLeft();
        if (_route > TimeSpan.Zero && routeLeft <= tryTimeout)
        {
            Arm(DeadlineKind.Route, routeLeft);
        }
        else
        {
            Arm(DeadlineKind.Try, tryTimeout);
        }
    }

    /// <summary>The first response byte came: only the route's deadline is left (the idle timeout is the forwarder's).</summary>
    public void FirstByte()
    {
        if (_route > TimeSpan.Zero)
        {
            Arm(DeadlineKind.Route, RouteLeft());
        }
        else
        {
            _armed = DeadlineKind.None;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Whether the route's deadline has passed (no new try then).</summary>
    public bool RouteExpired => _route > TimeSpan.Zero && RouteLeft() <= TimeSpan.Zero;

    private TimeSpan RouteLeft() => _route - _time.GetElapsedTime(_arrived);

    private void Arm(DeadlineKind kind, TimeSpan after)
    {
        _armed = kind;
        _timer.Change(after > TimeSpan.Zero ? after : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void Fire()
    {
        var kind = _armed;
        if (kind == DeadlineKind.None || _client.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        _fired = kind;
        Cancel();
    }

    private void Cancel()
    {
        try
        {
            _source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The request ended meanwhile.
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _link.Dispose();
        _source.Dispose();
    }
}

/// <summary>Which of a request's deadlines fired.</summary>
internal enum DeadlineKind
{
    None,
    Try,
    Route,
}
