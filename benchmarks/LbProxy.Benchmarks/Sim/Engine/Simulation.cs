using Benchmarks.Sim.Policies;
using Benchmarks.Sim.Scenario;
using Gateway.LoadBalancing;

namespace Benchmarks.Sim.Engine;

/// <summary>
/// A deterministic discrete-event simulation of one policy on one scenario: a simulated clock, an event heap
/// ordered by (time, sequence), seeded random streams, and the shipping policy cores and statistics records.
/// The gateway side follows ForwardingMiddleware: Begin when sent, Complete with the latency (and X-Queue-Depth)
/// when answered, AbandonAfter when the client gives up, TimedOut when the gateway's own timeout fires. Timeouts
/// are arrival + a constant, so they fire in arrival order from a plain FIFO instead of the heap.
/// </summary>
public sealed class Simulation
{
    private const double RefusedSeconds = 0.001; // connection refused by a dead process

    private readonly SimScenario _scenario;
    private readonly SimPolicy _policy;
    private readonly int _seed;
    private readonly SimClock _clock = new();
    private readonly LatencyModel _model;
    private readonly PriorityQueue<SimEvent, EventOrder> _events = new(EventOrder.Comparer);
    private readonly Queue<SimRequest> _timeouts = new();
    private readonly ArrivalProcess _arrivals;
    private readonly SimCluster _cluster;
    private readonly SimRecorder _recorder;
    private readonly RemapMeter _remap;
    private readonly long _timeout;
    private readonly Random _others;
    private long _sequence;
    private long _handled;

    public Simulation(SimScenario scenario, string policy, int seed)
    {
        _scenario = scenario;
        _seed = seed;
        _policy = SimPolicies.Create(policy, seed ^ 0x5bd1e995, scenario.BalanceFactor);
        _model = new LatencyModel(_clock);
        _arrivals = new ArrivalProcess(scenario, seed);
        _cluster = new SimCluster(KeyHashes(scenario.Keys?.Count ?? 0));
        var expected = (int)Math.Min(int.MaxValue / 2, scenario.Arrivals.Rate * scenario.Duration * 1.1);
        _recorder = new SimRecorder(scenario.Duration, scenario.BucketWidth, scenario.Keys?.Count ?? 0, expected);
        _remap = new RemapMeter(_cluster, _recorder);
        _timeout = SimClock.Span(scenario.Timeout);
        _others = new Random(seed ^ 0x0ddba11);
    }

    public SimCluster Cluster => _cluster;

    /// <summary>Runs to the end; <paramref name="progress"/> gets the simulated share done, now and then.</summary>
    public SimResult Run(Action<double>? progress = null)
    {
        // One block for the starting fleet, so its in-flight counters are read side by side as in the gateway.
        _cluster.Load.Reserve(_scenario.Destinations.Sum(g => g.Count));
        foreach (var group in _scenario.Destinations)
        {
            AddGroup(group);
        }

        _cluster.Refresh();
        ScheduleArrival();
        for (var i = 0; i < _scenario.Events.Count; i++)
        {
            Schedule(SimClock.Ticks(_scenario.Events[i].At), new SimEvent(SimEventKind.Scenario, null, i));
        }

        Schedule(SimClock.Origin, new SimEvent(SimEventKind.Sample, null, 0));
        var end = SimClock.Ticks(_scenario.Duration);
        while (true)
        {
            var hasEvent = _events.TryPeek(out var next, out var order);
            if (_timeouts.TryPeek(out var waiting) && (!hasEvent || waiting.Arrival + _timeout < order.Time))
            {
                _timeouts.Dequeue();
                _clock.Now = Math.Max(_clock.Now, waiting.Arrival + _timeout);
                TimeOut(waiting);
            }
            else if (hasEvent && (order.Time <= end || _timeouts.Count > 0 || _scenario.TimeoutKind == "none"))
            {
                _events.Dequeue();
                _clock.Now = order.Time;
                Handle(next);
            }
            else
            {
                break;
            }

            if ((++_handled & 0xFFFF) == 0)
            {
                progress?.Invoke(Math.Min(1, _clock.Seconds / _scenario.Duration));
            }
        }

        progress?.Invoke(1);
        return _recorder.Finish(_policy.Name, _seed, _cluster.All, Math.Max(end, _clock.Now), _handled);
    }

    private void Handle(SimEvent e)
    {
        switch (e.Kind)
        {
            case SimEventKind.Arrival:
                Arrive(e.Request!);
                break;
            case SimEventKind.ServiceDone:
                ServiceDone(e.Request!);
                break;
            case SimEventKind.Refused:
                Fail(e.Request!);
                break;
            case SimEventKind.Scenario:
                Apply(_scenario.Events[e.Arg]);
                break;
            case SimEventKind.HealthChange:
                HealthChange(_cluster.All[e.Arg], e.Flag);
                break;
            case SimEventKind.Sample:
                Sample();
                break;
            case SimEventKind.OtherArrival:
                OtherArrive(_cluster.All[e.Arg]);
                break;
        }
    }

    private void ScheduleArrival()
    {
        if (_arrivals.Next() is { } request)
        {
            Schedule(request.Arrival, new SimEvent(SimEventKind.Arrival, request, 0));
        }
    }

    private void Schedule(long at, SimEvent e) => _events.Enqueue(e, new EventOrder(at, _sequence++));

    private void Arrive(SimRequest r)
    {
        ScheduleArrival();
        if (_scenario.TimeoutKind != "none")
        {
            _timeouts.Enqueue(r);
        }

        var index = _policy.Pick(_cluster, r);
        if (index < 0)
        {
            Answer(r, ok: false, timedOut: false); // no destination available: the gateway answers 503 at once
            return;
        }

        var d = _cluster.All[index];
        _recorder.Sent(d, r, _clock.Seconds);
        d.Account(_clock.Now);
        d.Stats.Begin();
        r.Destination = index;
        r.GatewayOpen = true;
        if (!d.Up)
        {
            Schedule(_clock.Now + SimClock.Span(RefusedSeconds), new SimEvent(SimEventKind.Refused, r, 0));
        }
        else if (!TryAdmit(d, r))
        {
            Schedule(_clock.Now, new SimEvent(SimEventKind.Refused, r, 0)); // load shedding: 503 at once
        }
    }

    /// <summary>A running destination takes a request: a free server, else a queue place; false when it sheds it.</summary>
    private bool TryAdmit(SimDestination d, SimRequest r)
    {
        if (d.HasFreeServer)
        {
            StartService(d, r);
        }
        else if (d.QueueFull)
        {
            return false;
        }
        else
        {
            d.Enqueue(r);
        }

        return true;
    }

    /// <summary>A request from another client: it queues and is served like ours, but the gateway never sees it.</summary>
    private void OtherArrive(SimDestination d)
    {
        if (d.OtherRate <= 0 || _clock.Seconds >= _scenario.Duration)
        {
            d.OtherScheduled = false;
            return;
        }

        ScheduleOther(d);
        var r = new SimRequest { Arrival = _clock.Now, Other = true, Destination = d.Index, U = 1 - _others.NextDouble() };
        r.Z = ArrivalProcess.Normal(_others);
        if (d.Up)
        {
            TryAdmit(d, r); // refused or shed, nothing stays behind
        }
    }

    private void ScheduleOther(SimDestination d)
    {
        d.OtherScheduled = true;
        var gap = -Math.Log(1 - _others.NextDouble()) / d.OtherRate;
        Schedule(_clock.Now + Math.Max(1, SimClock.Span(gap)), new SimEvent(SimEventKind.OtherArrival, null, d.Index));
    }

    private void StartService(SimDestination d, SimRequest r)
    {
        d.StartService(r, _clock.Now);
        if (!r.Other)
        {
            _recorder.ServiceStarted((_clock.Now - r.Arrival) / (double)TimeSpan.TicksPerSecond);
        }

        var ticks = Math.Max(1, SimClock.Span(d.ServiceSeconds(r)));
        Schedule(_clock.Now + ticks, new SimEvent(SimEventKind.ServiceDone, r, 0));
    }

    private void ServiceDone(SimRequest r)
    {
        if (r.Finished)
        {
            return; // lost when its destination died
        }

        var d = _cluster.All[r.Destination];
        d.EndService(r);
        while (d.HasFreeServer && d.NextWaiting() is { } next)
        {
            StartService(d, next);
        }

        if (r.Other)
        {
            return;
        }

        d.Served++;

        if (r.GatewayOpen)
        {
            CloseAtGateway(r, d, failed: false);
        }

        if (!r.Answered)
        {
            Answer(r, ok: true, timedOut: false);
        }
    }

    /// <summary>An error response (refused, shed, or lost with a dying process).</summary>
    private void Fail(SimRequest r)
    {
        r.Finished = true;
        if (r.Answered)
        {
            return;
        }

        CloseAtGateway(r, _cluster.All[r.Destination], failed: true);
        Answer(r, ok: false, timedOut: false);
    }

    private void TimeOut(SimRequest r)
    {
        if (r.Answered)
        {
            return;
        }

        if (r.GatewayOpen)
        {
            var d = _cluster.All[r.Destination];
            d.Account(_clock.Now);
            r.GatewayOpen = false;
            if (_scenario.TimeoutKind == "client")
            {
                // YARP sees the client abort; ForwardingMiddleware counts no completion, but the time waited may
                // raise the destination's estimate, and one that answered nothing since is held back (AbandonAfter).
                d.Stats.AbandonAfter(TimeSpan.FromTicks(_clock.Now - r.Arrival));
            }
            else
            {
                // The gateway's try timeout: a failure that, like an abandon, got no answer (DestinationStats.TimedOut).
                d.Stats.TimedOut(TimeSpan.FromTicks(_clock.Now - r.Arrival));
            }
        }

        Answer(r, ok: false, timedOut: true);
    }

    private void CloseAtGateway(SimRequest r, SimDestination d, bool failed)
    {
        d.Account(_clock.Now);
        r.GatewayOpen = false;
        var depth = _policy.ReportsQueueDepth ? d.Waiting : -1;
        d.Stats.Complete(TimeSpan.FromTicks(_clock.Now - r.Arrival), failed, depth);
    }

    private void Answer(SimRequest r, bool ok, bool timedOut)
    {
        r.Answered = true;
        var latency = timedOut ? _scenario.Timeout : (_clock.Now - r.Arrival) / (double)TimeSpan.TicksPerSecond;
        _recorder.Answered(latency, ok, timedOut, _scenario.Timeout);
    }

    private void Apply(ScenarioEvent e)
    {
        if (e.Type == "add")
        {
            AddGroup(e.Group!);
            _remap.Refresh(_policy.HashesKeys, _clock.Seconds, "add");
            return;
        }

        foreach (var index in e.Destinations.Where(i => i >= 0 && i < _cluster.All.Count))
        {
            var d = _cluster.All[index];
            switch (e.Type)
            {
                case "slow":
                    d.SlowFactor = e.Factor;
                    d.Override = e.ServiceTime;
                    break;
                case "fail" when d.Up:
                    d.Up = false;
                    foreach (var lost in d.DropAll().Where(lost => !lost.Other))
                    {
                        Fail(lost);
                    }

                    Schedule(_clock.Now + SimClock.Span(_scenario.HealthCheckDelay), new SimEvent(SimEventKind.HealthChange, null, index, false));
                    break;
                case "recover":
                    d.SlowFactor = 1;
                    d.Override = null;
                    if (!d.Up)
                    {
                        d.Up = true;
                        Schedule(_clock.Now + SimClock.Span(_scenario.HealthCheckDelay), new SimEvent(SimEventKind.HealthChange, null, index, true));
                    }

                    break;
                case "others":
                    d.OtherRate = e.Rate;
                    if (e.Rate > 0 && !d.OtherScheduled)
                    {
                        ScheduleOther(d);
                    }

                    break;
                case "remove" when d.Member:
                    d.Account(_clock.Now);
                    d.Member = false;
                    d.LeftAt = _clock.Now;
                    _remap.Refresh(_policy.HashesKeys, _clock.Seconds, $"remove {d.Stats.Id}");
                    break;
            }
        }
    }

    /// <summary>Health checks caught up with the process state (unless it changed back meanwhile).</summary>
    private void HealthChange(SimDestination d, bool healthy)
    {
        if (d.Healthy != healthy && d.Up == healthy && d.Member)
        {
            d.Healthy = healthy;
            _remap.Refresh(_policy.HashesKeys, _clock.Seconds, $"{d.Stats.Id} {(healthy ? "healthy" : "unhealthy")}");
        }
    }

    private void AddGroup(DestinationGroup group)
    {
        for (var i = 0; i < group.Count; i++)
        {
            var index = _cluster.All.Count;
            var stats = new DestinationStats($"d{index}", _model, group.Weight, $"sim://d{index}", _cluster.Load);
            _cluster.Add(new SimDestination(index, group, stats, _clock.Now));
        }
    }

    private void Sample()
    {
        var c = _cluster.Candidates;
        if (c.Length > 0)
        {
            long max = 0, sum = 0;
            foreach (var s in c)
            {
                max = Math.Max(max, s.InFlight);
                sum += s.InFlight;
            }

            _recorder.Sample(new ImbalanceSample(_clock.Seconds, max, sum / (double)c.Length));
        }

        var next = _clock.Now + SimClock.Span(_scenario.Duration / 1000);
        if (next < SimClock.Ticks(_scenario.Duration))
        {
            Schedule(next, new SimEvent(SimEventKind.Sample, null, 0));
        }
    }

    private static ulong[] KeyHashes(int count)
    {
        var hashes = new ulong[count];
        for (var k = 0; k < count; k++)
        {
            hashes[k] = ConsistentHashRing.HashKey($"key-{k}");
        }

        return hashes;
    }
}
