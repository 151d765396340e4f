using Gateway.Fleet;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Fleet;

public sealed class PreScalingTests : IDisposable
{
    // A Thursday, midnight UTC; tests only move it forward.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero));
    private readonly string _folder = Directory.CreateTempSubdirectory("lbproxy-prescale-").FullName;

    private static readonly PreScaleOptions s_profile = new()
    {
        LeadSeconds = 1800,
        Profile = [new PreScalePoint("09:00", 6), new PreScalePoint("18:00", 2)],
    };

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private void At(int hour, int minute) => _time.SetUtcNow(new DateTimeOffset(_time.GetUtcNow().Date.AddHours(hour).AddMinutes(minute), TimeSpan.Zero));

    [Fact]
    public void Floor_GivenProfile_RaisesLeadAheadOfThePeakAndLowersAtItsEnd()
    {
        var scaler = new PreScaler(s_profile, _time);
        At(8, 29);
        Assert.Equal(2, scaler.Floor()!.Replicas); // 18:00's 2 holds overnight
        At(8, 30);
        var floor = scaler.Floor()!;
        Assert.Equal(6, floor.Replicas);
        Assert.Equal("profile 09:00 in 30 min (lead 30 min)", floor.Reason);
        At(12, 0);
        Assert.Equal(6, scaler.Floor()!.Replicas);
        At(17, 59);
        Assert.Equal(6, scaler.Floor()!.Replicas); // a lower minimum is never anticipated
        At(18, 0);
        Assert.Equal(2, scaler.Floor()!.Replicas);
    }

    [Fact]
    public void Floor_LeadAcrossMidnight_SeesTomorrowsFirstPoint()
    {
        var scaler = new PreScaler(s_profile with { LeadSeconds = 10 * 3600, Profile = [new PreScalePoint("02:00", 5), new PreScalePoint("04:00", 1)] }, _time);
        At(20, 0);
        Assert.Equal(5, scaler.Floor()!.Replicas);
        Assert.Contains("profile 02:00 in 360 min", scaler.Floor()!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Floor_ProfileInATimeZone_ReadsItsTimesThere()
    {
        // 09:00 in Berlin is 08:00 UTC in December.
        var scaler = new PreScaler(s_profile with { LeadSeconds = 0, TimeZone = "Europe/Berlin" }, _time);
        At(7, 59);
        Assert.Equal(2, scaler.Floor()!.Replicas);
        At(8, 0);
        Assert.Equal(6, scaler.Floor()!.Replicas);
    }

    [Fact]
    public void Floor_Learned_PredictsTomorrowsPeakFromThePastDays()
    {
        var options = new PreScaleOptions { LeadSeconds = 1800, LearnDays = 3, ReplicaRps = 100, SlotMinutes = 60 };
        var scaler = new PreScaler(options, _time);
        Assert.Null(scaler.Floor()); // nothing learned yet

        // Three days of traffic, recorded every 15 s as the autoscaler does: 450 req/s from 09:00 to 10:00, 50 otherwise.
        At(0, 0);
        Feed(scaler, TimeSpan.FromDays(3));
        At(8, 29);
        var quiet = scaler.Floor()!;
        Assert.Equal(1, quiet.Replicas);
        At(8, 30);
        var floor = scaler.Floor()!;
        Assert.Equal(5, floor.Replicas); // ceil(450 / 100)
        Assert.Equal("learned 450 req/s at 09:00 over the last 3 days / 100 per replica", floor.Reason);
    }

    [Fact]
    public void Floor_LearnedHistoryFile_SurvivesARestart()
    {
        var options = new PreScaleOptions { LeadSeconds = 0, LearnDays = 2, ReplicaRps = 100, SlotMinutes = 60, HistoryFile = Path.Combine(_folder, "rates.json") };
        At(0, 0);
        Feed(new PreScaler(options, _time), TimeSpan.FromDays(1) + TimeSpan.FromHours(1));
        At(9, 10);
        var restarted = new PreScaler(options, _time);
        Assert.Null(restarted.HistoryLoadError);
        Assert.Equal(5, restarted.Floor()!.Replicas);

        File.WriteAllText(options.HistoryFile, "{ not json");
        var broken = new PreScaler(options, _time);
        Assert.Contains("rates.json", broken.HistoryLoadError, StringComparison.Ordinal);
        Assert.Null(broken.Floor());
    }

    [Fact]
    public void Decide_FloorOnAFakeDay_FleetReadyBeforeThePeakAndDownAfterIt()
    {
        // The HPA with the seeds' behaviour and an idle fleet (queue depth 0 of 20): only pre-scaling holds it up.
        var controller = new HpaController(2, 10, _time);
        var scaler = new PreScaler(s_profile, _time);
        var replicas = 2;
        var history = new List<(TimeSpan At, int Replicas)>();
        At(8, 0);
        for (var t = TimeSpan.Zero; t < TimeSpan.FromHours(12); t += TimeSpan.FromSeconds(15))
        {
            var decision = controller.Decide(replicas, [new HpaMetric("queue_depth", 0, 20)], scaler.Floor());
            replicas = decision.Desired;
            history.Add((_time.GetUtcNow().TimeOfDay, replicas));
            _time.Advance(TimeSpan.FromSeconds(15));
        }

        int At_(int h, int m) => history.Last(x => x.At <= new TimeSpan(h, m, 0)).Replicas;
        Assert.Equal(2, At_(8, 29));
        Assert.Equal(6, At_(8, 30)); // at once, not held back by the scale-up rate limit
        Assert.All(history.Where(x => x.At >= new TimeSpan(8, 30, 0) && x.At < new TimeSpan(18, 0, 0)), x => Assert.Equal(6, x.Replicas));
        Assert.True(At_(18, 1) <= 6 && At_(19, 59) == 2, "after the peak the usual scale-down rules bring the fleet back to 2");
    }

    /// <summary>Records <paramref name="span"/> of the traffic shape from now on, 15 s at a time, moving the clock.</summary>
    private void Feed(PreScaler scaler, TimeSpan span)
    {
        for (var t = TimeSpan.Zero; t < span; t += TimeSpan.FromSeconds(15))
        {
            _time.Advance(TimeSpan.FromSeconds(15));
            var hour = _time.GetUtcNow().AddSeconds(-1).Hour;
            scaler.RecordRequests((hour == 9 ? 450 : 50) * 15, TimeSpan.FromSeconds(15));
        }
    }
}
