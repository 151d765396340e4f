using System.Globalization;

namespace Gateway.Fleet;

/// <summary>
/// Turns <see cref="PreScaleOptions"/> into the minimum replicas for now: the highest minimum that applies at any
/// moment from now to now + lead, from the given profile and from the learned rates. Looking ahead by the lead is
/// what makes it predictive: a 09:00 peak with a 10 minute lead raises the fleet at 08:50; the minimum falls only when
/// the profile's own time for it has come.
/// </summary>
public sealed class PreScaler
{
    private readonly PreScaleOptions _options;
    private readonly TimeProvider _time;
    private readonly TimeZoneInfo _zone;
    private readonly (TimeSpan At, int MinReplicas)[] _profile;
    private readonly RequestRateHistory? _history;

    public PreScaler(PreScaleOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _zone = options.TimeZone is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);
        _profile = [.. options.Profile.Select(p => (ParseTime(p.At)!.Value, p.MinReplicas)).OrderBy(p => p.Item1)];
        if (options.LearnDays > 0)
        {
            _history = new RequestRateHistory(options.SlotMinutes, options.LearnDays, options.HistoryFile);
            _history.Load();
        }
    }

    /// <summary>Why the learned history could not be read from its file, or null.</summary>
    public string? HistoryLoadError => _history?.LoadError;

    /// <summary>"HH:mm" as a time of day, or null.</summary>
    public static TimeSpan? ParseTime(string? text) =>
        TimeOnly.TryParseExact(text, ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t.ToTimeSpan() : null;

    /// <summary>Feeds the learned profile: <paramref name="requests"/> the fleet answered over the last <paramref name="period"/>.</summary>
    /// <remarks>The period counts in the slot of its middle: one that ends on a slot boundary belongs to the slot before.</remarks>
    public void RecordRequests(double requests, TimeSpan period) =>
        _history?.Record(Local(_time.GetUtcNow() - (period / 2)), requests, period.TotalSeconds);

    /// <summary>The minimum for now, or null when nothing raises it.</summary>
    public PreScaleFloor? Floor()
    {
        var now = Local(_time.GetUtcNow());
        var until = now.AddSeconds(_options.LeadSeconds);
        PreScaleFloor? best = null;
        void Consider(int replicas, string reason)
        {
            if (replicas > (best?.Replicas ?? 0))
            {
                best = new PreScaleFloor(replicas, reason);
            }
        }

        if (_profile.Length > 0)
        {
            var current = ProfileAt(now.TimeOfDay);
            Consider(current.MinReplicas, $"profile {Hm(current.At)} on");
            for (var day = now.Date; day <= until.Date; day = day.AddDays(1))
            {
                foreach (var (at, min) in _profile)
                {
                    var when = day + at;
                    if (when > now && when <= until)
                    {
                        Consider(min, string.Create(CultureInfo.InvariantCulture,
                            $"profile {Hm(at)} in {(when - now).TotalMinutes:0} min (lead {_options.LeadSeconds / 60:0.#} min)"));
                    }
                }
            }
        }

        if (_history is not null && _options.ReplicaRps > 0)
        {
            for (var slot = _history.SlotStart(now); slot <= until; slot = slot.AddMinutes(_history.SlotMinutes))
            {
                if (_history.PredictedRate(slot) is { } rate)
                {
                    var replicas = (int)Math.Ceiling(rate / _options.ReplicaRps);
                    Consider(replicas, string.Create(CultureInfo.InvariantCulture,
                        $"learned {rate:0.#} req/s at {Hm(slot.TimeOfDay)} over the last {_options.LearnDays} days / {_options.ReplicaRps:0.#} per replica"));
                }
            }
        }

        return best;
    }

    private (TimeSpan At, int MinReplicas) ProfileAt(TimeSpan timeOfDay)
    {
        var result = _profile[^1]; // before the first point of the day, the last one of the day before still holds
        foreach (var point in _profile)
        {
            if (point.At <= timeOfDay)
            {
                result = point;
            }
        }

        return result;
    }

    private DateTime Local(DateTimeOffset utc) => TimeZoneInfo.ConvertTime(utc, _zone).DateTime;

    private static string Hm(TimeSpan t) => t.ToString(@"hh\:mm", CultureInfo.InvariantCulture);
}
