using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gateway.LoadBalancing;

/// <summary>
/// nginx <c>least_conn</c> (ngx_http_upstream_least_conn_module.c): the destination with the fewest in-flight
/// requests per unit of weight wins; several tied ones are broken by smooth weighted round-robin among just
/// those, never by list order. The tie-break's current weights change only under the plan's lock, so they follow
/// nginx exactly under concurrent picks too.
/// <para>
/// The comparison is exact. Each destination's ratio in-flight / weight becomes the integer key in-flight x
/// (L / weight), L the least common multiple of the weights, so equal keys are exactly equal ratios and a scan
/// is a plain minimum. Keys are compared four at a time (SIMD); when the candidates' in-flight counters sit side
/// by side in their cluster's block (<see cref="ClusterLoad"/>, the usual case) they are read straight from it,
/// otherwise copied out first. Weights whose multiple does not fit (L above 2^31, e.g. many slow-start steps at
/// once) use the one-at-a-time scan with cross-multiplication, which gives the same picks.
/// </para>
/// </summary>
public sealed class LeastConnectionsSelector
{
    private const int Lanes = 4;
    private const long MaxMultiple = 1L << 31;

    private volatile Plan? _plan;

    /// <summary>The sum of the tie-break's current weights: always zero between picks (for tests).</summary>
    internal long CurrentWeightTotal => _plan?.Current.Sum() ?? 0;

    public int Pick(DestinationStats[] candidates)
    {
        if (candidates.Length <= 1)
        {
            return candidates.Length - 1;
        }

        var plan = _plan;
        if (plan is null || !ReferenceEquals(plan.Candidates, candidates))
        {
            plan = new Plan(candidates);
            _plan = plan;
        }

        return plan.Multipliers is { } multipliers ? PickVector(plan, multipliers, candidates) : PickScalar(plan, candidates, default);
    }

    /// <summary>
    /// The same choice among the <paramref name="allowed"/> only (a retry's untried destinations), one at a time: as
    /// nginx's least_conn skips tried peers, with the tie-break's weights shared with ordinary picks.
    /// </summary>
    public int Pick(DestinationStats[] candidates, ReadOnlySpan<bool> allowed)
    {
        if (candidates.Length <= 1)
        {
            return candidates.Length == 1 && allowed[0] ? 0 : -1;
        }

        var plan = _plan;
        if (plan is null || !ReferenceEquals(plan.Candidates, candidates))
        {
            plan = new Plan(candidates);
            _plan = plan;
        }

        return PickScalar(plan, candidates, allowed);
    }

    /// <summary>
    /// Four at a time. The lowest key usually stays the same from one pick to the next (zero while any destination
    /// is idle), so one pass under the plan's lock (nginx holds the upstream's lock for its whole scan too) computes
    /// the keys and their minimum and at the same time runs the tie-break among those equal to the last minimum.
    /// When the minimum turned out the same, that was the whole of nginx's choice; otherwise the gains just given
    /// are taken back and the tie-break runs again at the true minimum. While that guess keeps failing (loads moving
    /// fast), the keys and minimum are found first, without the lock, and the tie-break then runs once.
    /// </summary>
    private static int PickVector(Plan plan, long[] multipliers, DestinationStats[] candidates)
    {
        var n = candidates.Length;
        var scratch = Scratch.For(n);
        ReadOnlySpan<long> loads;
        if (plan.Block is { } block)
        {
            loads = block.AsSpan(plan.FirstSlot, n);
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                scratch.Loads[i] = candidates[i].InFlight;
            }

            loads = scratch.Loads.AsSpan(0, n);
        }

        var keys = scratch.Keys.AsSpan(0, n);
        if (plan.GuessScore >= 0)
        {
            using (plan.Enter())
            {
                var guess = plan.LastMin;
                var min = KeysAndTieBreak(loads, multipliers, keys, guess, plan.Weights, plan.Current, out var state);
                if (plan.Guessed(min))
                {
                    return state.Finish(plan.Current);
                }

                if (state.AnyTied)
                {
                    TakeBack(keys, guess, plan.Weights, plan.Current);
                }

                return TieBreak(keys, min, plan.Weights, plan.Current);
            }
        }

        var lowest = Keys(loads, multipliers, keys);
        using (plan.Enter())
        {
            plan.Guessed(lowest);
            return TieBreak(keys, lowest, plan.Weights, plan.Current);
        }
    }

    /// <summary>keys[i] = loads[i] x multipliers[i]; returns the smallest. Needs at least four.</summary>
    private static long Keys(ReadOnlySpan<long> loads, long[] multipliers, Span<long> keys)
    {
        ref var load = ref MemoryMarshal.GetReference(loads);
        ref var multiplier = ref MemoryMarshal.GetArrayDataReference(multipliers);
        ref var key = ref MemoryMarshal.GetReference(keys);
        var min = Vector256.Create(long.MaxValue);
        for (var i = 0; i < loads.Length; i += Lanes)
        {
            // Each load is read once: the overlapping last block keeps the keys already made, so the minimum is
            // always one of the keys even while loads move.
            var (at, fresh) = Block(i, loads.Length);
            var k = Vector256.ConditionalSelect(fresh, Vector256.LoadUnsafe(ref load, at) * Vector256.LoadUnsafe(ref multiplier, at),
                Vector256.LoadUnsafe(ref key, at));
            k.StoreUnsafe(ref key, at);
            min = Vector256.Min(min, k);
        }

        return Math.Min(Math.Min(min[0], min[1]), Math.Min(min[2], min[3]));
    }

    /// <summary>
    /// keys[i] = loads[i] x multipliers[i], and the tie-break steps among those equal to <paramref name="target"/>; returns
    /// the smallest key and the tie-break's state. Each load is read once: the overlapping last block keeps the keys already made.
    /// </summary>
    private static long KeysAndTieBreak(ReadOnlySpan<long> loads, long[] multipliers, Span<long> keys, long target,
        long[] weights, long[] current, out TieBreakState result)
    {
        // A local, not the caller's: a struct behind a ref lives in memory, and every step would go through it.
        var state = new TieBreakState(target);
        ref var load = ref MemoryMarshal.GetReference(loads);
        ref var multiplier = ref MemoryMarshal.GetArrayDataReference(multipliers);
        ref var key = ref MemoryMarshal.GetReference(keys);
        ref var weight = ref MemoryMarshal.GetArrayDataReference(weights);
        ref var now = ref MemoryMarshal.GetArrayDataReference(current);
        var min = Vector256.Create(long.MaxValue);
        var i = 0;
        for (; i + Lanes <= loads.Length; i += Lanes)
        {
            var at = (nuint)i;
            var k = Vector256.LoadUnsafe(ref load, at) * Vector256.LoadUnsafe(ref multiplier, at);
            k.StoreUnsafe(ref key, at);
            min = Vector256.Min(min, k);
            state.Step(k, ref weight, ref now, at, Vector256<long>.AllBitsSet);
        }

        if (i < loads.Length)
        {
            var (at, fresh) = Block(i, loads.Length);
            var k = Vector256.ConditionalSelect(fresh, Vector256.LoadUnsafe(ref load, at) * Vector256.LoadUnsafe(ref multiplier, at),
                Vector256.LoadUnsafe(ref key, at));
            k.StoreUnsafe(ref key, at);
            min = Vector256.Min(min, k);
            state.Step(k, ref weight, ref now, at, fresh);
        }

        result = state;
        return Math.Min(Math.Min(min[0], min[1]), Math.Min(min[2], min[3]));
    }

    /// <summary>Takes back the gain every destination with key <paramref name="target"/> was just given.</summary>
    private static void TakeBack(ReadOnlySpan<long> keys, long target, long[] weights, long[] current)
    {
        ref var key = ref MemoryMarshal.GetReference(keys);
        ref var weight = ref MemoryMarshal.GetArrayDataReference(weights);
        ref var now = ref MemoryMarshal.GetArrayDataReference(current);
        var match = Vector256.Create(target);
        for (var i = 0; i < keys.Length; i += Lanes)
        {
            var (at, fresh) = Block(i, keys.Length);
            var tied = Vector256.Equals(Vector256.LoadUnsafe(ref key, at), match) & fresh;
            (Vector256.LoadUnsafe(ref now, at) - (Vector256.LoadUnsafe(ref weight, at) & tied)).StoreUnsafe(ref now, at);
        }
    }

    /// <summary>
    /// nginx's smooth weighted round-robin among the tied (key == <paramref name="min"/>): each gains its weight,
    /// the first with the highest current weight wins and gives back the total. With one tied it gains and gives
    /// back the same weight, so nothing changes, as in nginx.
    /// </summary>
    private static int TieBreak(ReadOnlySpan<long> keys, long min, long[] weights, long[] current)
    {
        var state = new TieBreakState(min);
        ref var key = ref MemoryMarshal.GetReference(keys);
        ref var weight = ref MemoryMarshal.GetArrayDataReference(weights);
        ref var now = ref MemoryMarshal.GetArrayDataReference(current);
        var i = 0;
        for (; i + Lanes <= keys.Length; i += Lanes)
        {
            state.Step(Vector256.LoadUnsafe(ref key, (nuint)i), ref weight, ref now, (nuint)i, Vector256<long>.AllBitsSet);
        }

        if (i < keys.Length)
        {
            var (at, fresh) = Block(i, keys.Length);
            state.Step(Vector256.LoadUnsafe(ref key, at), ref weight, ref now, at, fresh);
        }

        return state.Finish(current);
    }

    /// <summary>
    /// The running state of the tie-break, four lanes wide: the weights given, and per lane the highest current
    /// weight among the tied and the first index that reached it. The winner is the lowest such index among the
    /// lanes holding the overall highest: the first in list order, as nginx's strict comparison picks.
    /// </summary>
    private struct TieBreakState(long target)
    {
        private readonly Vector256<long> _target = Vector256.Create(target);
        private Vector256<long> _total = Vector256<long>.Zero;
        private Vector256<long> _best = Vector256.Create(long.MinValue);
        private Vector256<long> _bestIndex = Vector256<long>.Zero;

        public readonly bool AnyTied => _best != Vector256.Create(long.MinValue);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(Vector256<long> keys, ref long weight, ref long now, nuint at, Vector256<long> fresh)
        {
            var tied = Vector256.Equals(keys, _target) & fresh;
            var gain = Vector256.LoadUnsafe(ref weight, at) & tied;
            var next = Vector256.LoadUnsafe(ref now, at) + gain;
            next.StoreUnsafe(ref now, at);
            _total += gain;
            var higher = Vector256.GreaterThan(next, _best) & tied;
            _best = Vector256.ConditionalSelect(higher, next, _best);
            _bestIndex = Vector256.ConditionalSelect(higher, Vector256.Create((long)at) + s_laneIndex, _bestIndex);
        }

        /// <summary>The winner gives back the total; returns its index (at least one must be tied).</summary>
        public readonly int Finish(long[] current)
        {
            var top = Math.Max(Math.Max(_best[0], _best[1]), Math.Max(_best[2], _best[3]));
            var chosen = long.MaxValue;
            for (var lane = 0; lane < Lanes; lane++)
            {
                if (_best[lane] == top)
                {
                    chosen = Math.Min(chosen, _bestIndex[lane]);
                }
            }

            current[chosen] -= Vector256.Sum(_total);
            return (int)chosen;
        }
    }

    private static readonly Vector256<long> s_laneIndex = Vector256.Create(0L, 1, 2, 3);

    /// <summary>
    /// Where the block starting at <paramref name="i"/> is read, and which of its lanes are new: the last block of
    /// a count that is not a multiple of four is read overlapping the one before, its repeated lanes masked off.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (nuint At, Vector256<long> Fresh) Block(int i, int length)
    {
        if (i + Lanes <= length)
        {
            return ((nuint)i, Vector256<long>.AllBitsSet);
        }

        var at = length - Lanes;
        return ((nuint)at, Vector256.GreaterThanOrEqual(Vector256.Create((long)at) + s_laneIndex, Vector256.Create((long)i)));
    }

    /// <summary>The same choice one destination at a time, cross-multiplying (no common multiple needed).</summary>
    private static int PickScalar(Plan plan, DestinationStats[] candidates, ReadOnlySpan<bool> allowed)
    {
        // Pass 1, lock-free: the best ratio, remembering who shares it. An empty mask allows every candidate.
        var weights = plan.Weights.AsSpan(0, candidates.Length);
        var tied = Scratch.For(candidates.Length).Tied;
        var first = allowed.IsEmpty ? 0 : CandidateMask.NextAllowed(allowed, 0);
        if (first < 0)
        {
            return -1;
        }

        var bestLoad = candidates[first].InFlight;
        var bestWeight = weights[first];
        tied[0] = first;
        var ties = 1;
        for (var i = first + 1; i < weights.Length; i++)
        {
            if (!allowed.IsEmpty && !allowed[i])
            {
                continue;
            }

            var load = candidates[i].InFlight;
            var weight = weights[i];
            var lhs = load * bestWeight;
            var rhs = bestLoad * weight;
            if (lhs < rhs)
            {
                bestLoad = load;
                bestWeight = weight;
                tied[0] = i;
                ties = 1;
            }
            else if (lhs == rhs)
            {
                tied[ties++] = i;
            }
        }

        if (ties == 1)
        {
            return tied[0];
        }

        // Pass 2: smooth weighted round-robin among the tied.
        using (plan.Enter())
        {
            var current = plan.Current;
            var chosen = tied[0];
            long total = 0;
            for (var t = 0; t < ties; t++)
            {
                var i = tied[t];
                total += weights[i];
                current[i] += weights[i];
                if (current[i] > current[chosen])
                {
                    chosen = i;
                }
            }

            current[chosen] -= total;
            return chosen;
        }
    }

    /// <summary>Per-thread work arrays: no allocation and no zeroing per pick.</summary>
    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? t_scratch;

        private Scratch(int length)
        {
            Loads = new long[length];
            Keys = new long[length];
            Tied = new int[length];
        }

        public long[] Loads { get; }

        public long[] Keys { get; }

        public int[] Tied { get; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Scratch For(int length)
        {
            var scratch = t_scratch;
            if (scratch is null || scratch.Keys.Length < length)
            {
                t_scratch = scratch = new Scratch(Math.Max(64, (int)BitOperations.RoundUpToPowerOf2((uint)length)));
            }

            return scratch;
        }
    }

    private readonly ref struct Scope
    {
        private readonly ref SpinLock _gate;

        public Scope(ref SpinLock gate) => _gate = ref gate;

        public void Dispose() => _gate.Exit(useMemoryBarrier: false);
    }

    /// <summary>What a candidate set needs, made once per set (the sets are immutable snapshots).</summary>
    private sealed class Plan
    {
        public Plan(DestinationStats[] candidates)
        {
            Candidates = candidates;
            var n = candidates.Length;
            Weights = new long[n];
            Current = new long[n];
            for (var i = 0; i < n; i++)
            {
                Weights[i] = candidates[i].SelectionWeight;
            }

            if (n >= Lanes && Vector256.IsHardwareAccelerated && LeastCommonMultiple(Weights.AsSpan(0, n)) is { } multiple)
            {
                Multipliers = new long[n];
                for (var i = 0; i < n; i++)
                {
                    Multipliers[i] = multiple / Weights[i];
                }

                (Block, FirstSlot) = SideBySide(candidates);
            }
        }

        // Held for at most one pass over the candidates (under a microsecond at 1000; tens of nanoseconds at 100): a
        // spin lock costs one atomic exchange to enter and a plain store to leave, against two atomics for a Lock
        // (about 8 ns a pick here), and a waiter spins, then yields, for about that long.
        private SpinLock _gate = new(enableThreadOwnerTracking: false);

        /// <summary>Holds the plan's tie-break lock until the returned scope is disposed.</summary>
        public Scope Enter()
        {
            var taken = false;
            _gate.Enter(ref taken);
            return new Scope(ref _gate);
        }

        public DestinationStats[] Candidates { get; }

        /// <summary>Selection weights.</summary>
        public long[] Weights { get; }

        /// <summary>nginx's <c>current_weight</c> per candidate.</summary>
        public long[] Current { get; }

        /// <summary>L / weight per candidate, or null when the scalar scan must be used.</summary>
        public long[]? Multipliers { get; }

        /// <summary>The block holding every candidate's in-flight counter in order, or null (copy them out).</summary>
        public long[]? Block { get; }

        public int FirstSlot { get; }

        /// <summary>The lowest key of the last pick: the guess for the next (a wrong one costs passes, never a wrong pick).</summary>
        public long LastMin { get; private set; } = -1;

        /// <summary>How well the guess has been doing: guess first while not negative. Changed under the lock.</summary>
        public int GuessScore { get; private set; }

        /// <summary>Scores the guess against the true <paramref name="min"/> and takes it as the next guess.</summary>
        public bool Guessed(long min)
        {
            var hit = min == LastMin;
            GuessScore = hit ? Math.Min(GuessScore + 1, 3) : Math.Max(GuessScore - 2, -4);
            LastMin = min;
            return hit;
        }

        private static long? LeastCommonMultiple(ReadOnlySpan<long> weights)
        {
            long multiple = 1;
            foreach (var w in weights)
            {
                multiple = multiple / Gcd(multiple, w) * w;
                if (multiple > MaxMultiple)
                {
                    return null;
                }
            }

            return multiple;
        }

        private static long Gcd(long a, long b)
        {
            while (b != 0)
            {
                (a, b) = (b, a % b);
            }

            return a;
        }

        private static (long[]? Block, int FirstSlot) SideBySide(DestinationStats[] candidates)
        {
            var (block, first) = candidates[0].InFlightCell;
            for (var i = 1; i < candidates.Length; i++)
            {
                var (b, slot) = candidates[i].InFlightCell;
                if (!ReferenceEquals(b, block) || slot != first + i)
                {
                    return (null, 0);
                }
            }

            return (block, first);
        }
    }
}
