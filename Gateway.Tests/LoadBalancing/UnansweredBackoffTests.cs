using Gateway.LoadBalancing;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.LoadBalancing;

/// <summary>
/// A destination whose requests end unanswered while nothing sent since comes back is held back with TCP-style
/// backoff; found by the simulator's Linkerd scenario, where a stuck destination whose requests were all abandoned at
/// the client timeout kept about 1.4% of the traffic (Adaptive 99.26% within 1 s).
/// </summary>
public class UnansweredBackoffTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _time = new();

    private DestinationStats Answering()
    {
        var d = new DestinationStats("a", new LatencyModel(_time, decayTime: TimeSpan.FromSeconds(10)));
        d.Begin();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        d.Complete(TimeSpan.FromMilliseconds(100), failed: false);
        return d;
    }

    private bool HeldBackAfter(DestinationStats d, double seconds)
    {
        _time.Advance(TimeSpan.FromSeconds(seconds));
        return d.IsHeldBack(_time.GetTimestamp());
    }

    private void Unanswered(DestinationStats d)
    {
        d.Begin();
        _time.Advance(Wait);
        d.AbandonAfter(Wait);
    }

    [Fact]
    public void AbandonAfter_NothingSentSinceAnswered_HoldsBackForTwiceTheWait()
    {
        var d = Answering();
        Unanswered(d);
        Assert.True(d.IsHeldBack(_time.GetTimestamp()));
        Assert.True(HeldBackAfter(d, 1.9));
        Assert.False(HeldBackAfter(d, 0.2));
        Assert.Equal(1.0, d.LatencyEstimate(_time.GetTimestamp()) / Math.Exp(-2.1 / 10), 6); // the wait is a lower bound
    }

    [Fact]
    public void AbandonAfter_WaitShorterThanTheEstimate_DoesNotHoldBack()
    {
        // Requests that take 30 s; a client cancels one after 5 s, before anything newer has come back.
        var d = new DestinationStats("a", new LatencyModel(_time, decayTime: TimeSpan.FromSeconds(10)));
        d.Begin();
        _time.Advance(TimeSpan.FromSeconds(30));
        d.Complete(TimeSpan.FromSeconds(30), failed: false);
        d.Begin();
        _time.Advance(TimeSpan.FromSeconds(5));
        d.AbandonAfter(TimeSpan.FromSeconds(5));
        Assert.False(d.IsHeldBack(_time.GetTimestamp()));
    }

    [Fact]
    public void AbandonAfter_ALaterRequestWasAnswered_OnlyRaisesTheEstimate()
    {
        var d = Answering();
        d.Begin(); // the slow one
        _time.Advance(TimeSpan.FromMilliseconds(100));
        d.Begin();
        _time.Advance(TimeSpan.FromMilliseconds(50));
        d.Complete(TimeSpan.FromMilliseconds(50), failed: false);
        _time.Advance(TimeSpan.FromMilliseconds(850));
        d.AbandonAfter(Wait);
        Assert.False(d.IsHeldBack(_time.GetTimestamp()));
        Assert.Equal(1.0, d.LatencyEstimate(_time.GetTimestamp()), 6);
    }

    [Fact]
    public void AbandonAfter_RequestsOutstandingWhenItStalled_CountAsOneRound()
    {
        var d = Answering();
        for (var i = 0; i < 5; i++)
        {
            d.Begin();
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        _time.Advance(TimeSpan.FromMilliseconds(500)); // the first was sent 1 s ago
        for (var i = 0; i < 5; i++)
        {
            d.AbandonAfter(Wait);
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        // Raised once, at the first abandon, to 2 s (not doubled for each of the others).
        Assert.True(HeldBackAfter(d, 1.45));
        Assert.False(HeldBackAfter(d, 0.1));
    }

    [Fact]
    public void Probe_OneAtATime_EachUnansweredRoundDoublesUpToTheDecayTime()
    {
        var d = Answering();
        Unanswered(d);
        var holds = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            var held = 0.0;
            while (d.IsHeldBack(_time.GetTimestamp()))
            {
                _time.Advance(TimeSpan.FromMilliseconds(100));
                held += 0.1;
            }

            holds.Add(Math.Round(held, 1));
            d.Begin(); // the probe
            Assert.True(d.IsHeldBack(_time.GetTimestamp())); // nothing else until it comes back
            _time.Advance(Wait);
            d.AbandonAfter(Wait);
        }

        Assert.Equal(new[] { 2.0, 4.0, 8.0, 10.0, 10.0 }, holds);
    }

    [Fact]
    public void Complete_ProbeAnswered_EndsTheBackoff()
    {
        var d = Answering();
        Unanswered(d);
        _time.Advance(TimeSpan.FromSeconds(2));
        d.Begin();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        d.Complete(TimeSpan.FromMilliseconds(100), failed: true); // an error is still an answer: not stalled
        Assert.False(d.IsHeldBack(_time.GetTimestamp()));
        Unanswered(d);
        Assert.True(HeldBackAfter(d, 1.95)); // a fresh stall starts again from twice the wait
        Assert.False(HeldBackAfter(d, 0.1));
    }

    [Fact]
    public void AbandonAfter_ResponseStarted_IsAnAnswer()
    {
        var d = Answering();
        d.Begin();
        _time.Advance(TimeSpan.FromSeconds(30));
        d.AbandonAfter(TimeSpan.FromSeconds(30), responseStarted: true); // a client leaving a long stream
        Assert.False(d.IsHeldBack(_time.GetTimestamp()));
        Assert.True(d.LatencyEstimate(_time.GetTimestamp()) < 0.1);
    }

    [Fact]
    public void TimedOut_NothingAnswered_CountsAFailureAndHoldsBack()
    {
        var d = Answering();
        d.Begin();
        _time.Advance(Wait);
        d.TimedOut(Wait);
        Assert.Equal(1, d.Failures);
        Assert.Equal(2, d.Requests);
        Assert.Equal(0, d.InFlight);
        Assert.True(d.IsHeldBack(_time.GetTimestamp()));
    }

    [Fact]
    public void Pick_HeldBackDestination_LosesToAnyAnsweringOne()
    {
        var d = Destinations.Make(new LatencyModel(_time), 1, 1, 1);
        foreach (var s in d)
        {
            s.Begin();
            _time.Advance(TimeSpan.FromMilliseconds(100));
            s.Complete(TimeSpan.FromMilliseconds(100), failed: false);
        }

        Destinations.Load(d[1], 50); // far more loaded than the stalled one will be
        Unanswered(d[0]);
        var selector = new AdaptiveSelector(new Random(5));
        Assert.All(Enumerable.Range(0, 50), _ => Assert.NotEqual(0, selector.Pick(d)));

        Unanswered(d[1]); // two held back: between them, the less loaded
        Assert.All(Enumerable.Range(0, 50), _ => Assert.NotEqual(1, selector.Pick(d)));
    }
}
