using System.Text.Json;

namespace Gateway.Fleet;

/// <summary>
/// The fleet's request rate per time-of-day slot and day, for the last days: what the learned pre-scale profile
/// predicts from (the rate of a slot = its requests over the seconds observed in it, over the days before the one
/// predicted). Kept in memory, and in a JSON file when one is given so a restart does not forget the week.
/// </summary>
internal sealed class RequestRateHistory(int slotMinutes, int days, string? file = null)
{
    private readonly Dictionary<(DateOnly Day, int Slot), (double Requests, double Seconds)> _slots = [];
    private (DateOnly Day, int Slot)? _last;

    public int SlotMinutes => slotMinutes;

    /// <summary>Why the file could not be read (the history then starts empty), or null.</summary>
    public string? LoadError { get; private set; }

    public void Load()
    {
        if (file is null || !File.Exists(file))
        {
            return;
        }

        try
        {
            foreach (var entry in JsonSerializer.Deserialize<List<Entry>>(File.ReadAllText(file)) ?? [])
            {
                _slots[(entry.Day, entry.Slot)] = (entry.Requests, entry.Seconds);
            }
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            LoadError = $"{file}: {ex.Message}";
        }
    }

    /// <summary>Adds <paramref name="requests"/> served over <paramref name="seconds"/> ending at local time <paramref name="at"/>.</summary>
    public void Record(DateTime at, double requests, double seconds)
    {
        var key = (DateOnly.FromDateTime(at), Slot(at));
        var (r, s) = _slots.GetValueOrDefault(key);
        _slots[key] = (r + requests, s + seconds);
        if (_last is { } last && last != key)
        {
            Prune(key.Item1);
            Save(); // at most once a slot: a slot just ended
        }

        _last = key;
    }

    /// <summary>The rate expected in the slot of local time <paramref name="at"/>: the same slot on the days before; null without data.</summary>
    public double? PredictedRate(DateTime at)
    {
        var day = DateOnly.FromDateTime(at);
        var slot = Slot(at);
        double requests = 0, seconds = 0;
        for (var back = 1; back <= days; back++)
        {
            if (_slots.TryGetValue((day.AddDays(-back), slot), out var seen))
            {
                requests += seen.Requests;
                seconds += seen.Seconds;
            }
        }

        return seconds > 0 ? requests / seconds : null;
    }

    public DateTime SlotStart(DateTime at) => at.Date.AddMinutes(Slot(at) * slotMinutes);

    private int Slot(DateTime at) => (int)(at.TimeOfDay.TotalMinutes / slotMinutes);

    private void Prune(DateOnly today)
    {
        foreach (var key in _slots.Keys.Where(k => k.Day < today.AddDays(-days)).ToList())
        {
            _slots.Remove(key);
        }
    }

    private void Save()
    {
        if (file is null)
        {
            return;
        }

        var entries = _slots.Select(kv => new Entry(kv.Key.Day, kv.Key.Slot, kv.Value.Requests, kv.Value.Seconds)).ToList();
        var temp = file + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(entries));
        File.Move(temp, file, overwrite: true); // never a half-written history
    }

    private sealed record Entry(DateOnly Day, int Slot, double Requests, double Seconds);
}
