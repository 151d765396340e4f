using Gateway.Proxy;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Proxy;

/// <summary>
/// The per-try and route deadlines, and their reuse: a deadline ended on a thread is taken again by the next request
/// there, with its timer, so nothing armed for the earlier request may reach the later one.
/// </summary>
public sealed class RequestDeadlineTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly ClientLifetime _client = new();

    /// <summary>A deadline for a request arriving now, its first try started.</summary>
    private RequestDeadline Started(double trySeconds, double routeSeconds = 0, IHttpRequestLifetimeFeature? client = null)
    {
        var deadline = RequestDeadline.Start(client ?? _client, _time, _time.GetTimestamp(), TimeSpan.FromSeconds(routeSeconds));
        deadline.StartTry(TimeSpan.FromSeconds(trySeconds), _time.GetTimestamp());
        return deadline;
    }

    /// <summary>A request that started and ended on this thread: its deadline, now waiting in the cache, and its token.</summary>
    private (RequestDeadline Deadline, CancellationToken Token) Ended(double trySeconds)
    {
        var deadline = Started(trySeconds);
        var token = deadline.RequestAborted;
        deadline.Dispose();
        return (deadline, token);
    }

    private static void AssertState(RequestDeadline deadline, bool cancelled, DeadlineKind fired) =>
        Assert.Equal((cancelled, fired), (deadline.RequestAborted.IsCancellationRequested, deadline.Fired));

    [Fact]
    public void StartTry_NoAnswerWithinTheTryTimeout_CancelsAndSaysTry()
    {
        using var deadline = Started(trySeconds: 2);

        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(deadline.RequestAborted.IsCancellationRequested);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        AssertState(deadline, cancelled: true, DeadlineKind.Try);
    }

    [Fact]
    public void FirstByte_WithARouteDeadline_OnlyTheRouteDeadlineIsLeft()
    {
        using var deadline = Started(trySeconds: 2, routeSeconds: 10);
        _time.Advance(TimeSpan.FromSeconds(1));
        deadline.FirstByte();

        _time.Advance(TimeSpan.FromSeconds(8));
        Assert.False(deadline.RequestAborted.IsCancellationRequested);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(DeadlineKind.Route, deadline.Fired);
        Assert.True(deadline.RouteExpired);
    }

    [Fact]
    public void FirstByte_WithoutARouteDeadline_TheTryTimeoutNoLongerCancels()
    {
        // The timer is left to run out rather than stopped: when it comes, nothing is armed.
        using var deadline = Started(trySeconds: 2);
        _time.Advance(TimeSpan.FromSeconds(1));
        deadline.FirstByte();

        _time.Advance(TimeSpan.FromSeconds(5));

        AssertState(deadline, cancelled: false, DeadlineKind.None);
        Assert.False(deadline.RouteExpired);
    }

    [Fact]
    public void ClientLeaves_CancelsButNoDeadlineFired()
    {
        using var client = new ClientLifetime();
        using var deadline = Started(trySeconds: 2, client: client);

        client.Leave();

        AssertState(deadline, cancelled: true, DeadlineKind.None);
    }

    [Fact]
    public void Start_AfterAnEndedRequestOnThisThread_ReusesItAndNothingOfTheEarlierOneFires()
    {
        var (first, firstToken) = Ended(trySeconds: 1);

        using var second = Started(trySeconds: 5);
        Assert.Same(first, second); // the same object and timer, taken back on this thread

        _time.Advance(TimeSpan.FromSeconds(1)); // where the first request's try would have ended
        Assert.False(second.RequestAborted.IsCancellationRequested);
        Assert.False(firstToken.IsCancellationRequested);
        Assert.Equal(DeadlineKind.None, second.Fired);

        _time.Advance(TimeSpan.FromSeconds(4));
        AssertState(second, cancelled: true, DeadlineKind.Try);
    }

    [Fact]
    public void Fire_BeforeTheArmedDeadline_CancelsNothingAndWaitsForIt()
    {
        // A timer callback already queued for an earlier arming runs after the deadline was armed again (a retry, or
        // the next request that reused the deadline): it must not cancel, and the armed deadline still comes.
        using var deadline = Started(trySeconds: 3);
        _time.Advance(TimeSpan.FromSeconds(1));

        deadline.Fire();

        AssertState(deadline, cancelled: false, DeadlineKind.None);
        _time.Advance(TimeSpan.FromSeconds(2));
        AssertState(deadline, cancelled: true, DeadlineKind.Try);
    }

    [Fact]
    public void Fire_AfterTheRequestEnded_CancelsNothingAndDoesNotThrow()
    {
        var (deadline, token) = Ended(trySeconds: 1);
        _time.Advance(TimeSpan.FromSeconds(2));

        deadline.Fire(); // late, on the timer's thread, while the deadline waits for its next request

        Assert.False(token.IsCancellationRequested);
    }

    [Fact]
    public void Start_AfterACompletedRequest_ReusesItsTokenSource()
    {
        var (_, firstToken) = Ended(trySeconds: 1);

        using var second = Started(trySeconds: 1);

        Assert.Equal(firstToken, second.RequestAborted); // reset, not made again (tokens are equal when their sources are)
        AssertState(second, cancelled: false, DeadlineKind.None);
    }

    [Fact]
    public void Start_AfterARequestTheClientLeft_NewTokenSource()
    {
        using var client = new ClientLifetime();
        var first = Started(trySeconds: 1, client: client);
        client.Leave();
        var firstToken = first.RequestAborted;
        first.Dispose();

        using var second = Started(trySeconds: 1);

        Assert.NotEqual(firstToken, second.RequestAborted);
        AssertState(second, cancelled: false, DeadlineKind.None);
    }

    [Fact]
    public void Dispose_WhileATimerCallbackIsAboutToCancel_TheNextRequestIsNotCancelled()
    {
        // The callback has passed its checks (the try's deadline is due) when the request ends on its own thread and the
        // next one starts there. The source it is about to cancel must not be the one the next request got.
        using var client = new ClientLifetime();
        var first = Started(trySeconds: 1, client: client);
        _time.Advance(TimeSpan.FromMilliseconds(999));
        RequestDeadline? second = null;
        client.OnRead = () => // Fire reads the client's token last before it cancels: the request ends there, the next starts
        {
            first.Dispose();
            second = Started(trySeconds: 5);
        };

        _time.Advance(TimeSpan.FromMilliseconds(1)); // the timer's callback, on this thread

        Assert.Same(first, second);
        AssertState(second!, cancelled: false, DeadlineKind.None);
        second!.Dispose();
    }

    [Fact]
    public void StartTry_AfterADeadlineStoppedTheLastTry_NewTokenAndNotFired()
    {
        using var deadline = Started(trySeconds: 1);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(DeadlineKind.Try, deadline.Fired);

        deadline.StartTry(TimeSpan.FromSeconds(1), _time.GetTimestamp());

        AssertState(deadline, cancelled: false, DeadlineKind.None);
    }

    public void Dispose() => _client.Dispose();

    private sealed class ClientLifetime : IHttpRequestLifetimeFeature, IDisposable
    {
        private readonly CancellationTokenSource _aborted = new();

        /// <summary>Run once, at the next read of <see cref="RequestAborted"/>.</summary>
        public Action? OnRead { get; set; }

        public CancellationToken RequestAborted
        {
            get
            {
                var onRead = OnRead;
                OnRead = null;
                onRead?.Invoke();
                return _aborted.Token;
            }

            set => throw new NotSupportedException();
        }

        public void Abort() => _aborted.Cancel();

        public void Leave() => _aborted.Cancel();

        public void Dispose() => _aborted.Dispose();
    }
}
