namespace Gateway.LoadBalancing;

/// <summary>
/// nginx's smooth weighted round-robin (ngx_http_upstream_get_peer in ngx_http_upstream_round_robin.c):
/// every turn each peer's current weight grows by its weight, the largest wins and pays back the total.
/// Weights 5,1,1 give a a b a c a a.
/// The sequence only depends on the weights, so it is computed once per candidate set and then served by a
/// lock-free counter; sets whose sequence would be too costly to precompute run nginx's step under a lock.
/// A candidate array is immutable: the caller passes a new array when membership or weights change.
/// </summary>
public sealed class SmoothWeightedSelector
{
    /// <summary>Precompute when weight total x count stays under this many steps (a few milliseconds).</summary>
    internal const long MaxPrecomputeWork = 1 << 22;

    private readonly long _maxPrecomputeWork;
    private volatile Plan? _plan;
    private long _counter = -1;

    public SmoothWeightedSelector()
        : this(MaxPrecomputeWork)
    {
    }

    /// <summary>Tests pass 0 to run the locked nginx step on every pick.</summary>
    internal SmoothWeightedSelector(long maxPrecomputeWork) => _maxPrecomputeWork = maxPrecomputeWork;

    public int Pick(DestinationStats[] candidates)
    {
        if (candidates.Length <= 1)
        {
            return candidates.Length - 1;
        }

        var plan = _plan;
        if (plan is null || !ReferenceEquals(plan.Candidates, candidates))
        {
            plan = new Plan(candidates, _maxPrecomputeWork);
            _plan = plan;
        }

        if (plan.Sequence is { } sequence)
        {
            return sequence[(int)((ulong)Interlocked.Increment(ref _counter) % (ulong)sequence.Length)];
        }

        lock (plan)
        {
            return NextTurn(plan.Weights, plan.Current, plan.Total);
        }
    }

    /// <summary>
    /// A pick among the <paramref name="allowed"/> only (a retry's untried destinations): the sequence's next turn that
    /// is allowed, or nginx's step over just the allowed where no sequence is kept (its tried peers take no part).
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
            plan = new Plan(candidates, _maxPrecomputeWork);
            _plan = plan;
        }

        if (plan.Sequence is { } sequence)
        {
            var turn = (ulong)Interlocked.Increment(ref _counter);
            for (var step = 0UL; step < (ulong)sequence.Length; step++)
            {
                var index = sequence[(int)((turn + step) % (ulong)sequence.Length)];
                if (allowed[index])
                {
                    return index;
                }
            }

            return -1;
        }

        lock (plan)
        {
            var best = -1;
            long total = 0;
            for (var i = 0; i < plan.Weights.Length; i++)
            {
                if (!allowed[i])
                {
                    continue;
                }

                total += plan.Weights[i];
                plan.Current[i] += plan.Weights[i];
                if (best < 0 || plan.Current[i] > plan.Current[best])
                {
                    best = i;
                }
            }

            if (best >= 0)
            {
                plan.Current[best] -= total;
            }

            return best;
        }
    }

    /// <summary>One nginx turn; returns the chosen index.</summary>
    internal static int NextTurn(ReadOnlySpan<int> weights, Span<long> current, long total)
    {
        var best = -1;
        for (var i = 0; i < weights.Length; i++)
        {
            current[i] += weights[i];
            if (best < 0 || current[i] > current[best])
            {
                best = i;
            }
        }

        current[best] -= total;
        return best;
    }

    private sealed class Plan
    {
        public Plan(DestinationStats[] candidates, long maxPrecomputeWork)
        {
            Candidates = candidates;
            // Selection weights are in tenths (for slow start); dividing by their gcd gives back nginx's exact
            // sequence and period for plain integer weights.
            Weights = Array.ConvertAll(candidates, c => c.SelectionWeight);
            var gcd = Weights.Aggregate(0, Gcd);
            for (var i = 0; i < Weights.Length; i++)
            {
                Weights[i] /= gcd;
                Total += Weights[i];
            }

            Current = new long[candidates.Length];
            if (Total * candidates.Length <= maxPrecomputeWork)
            {
                Sequence = new int[Total];
                for (var t = 0; t < Sequence.Length; t++)
                {
                    Sequence[t] = NextTurn(Weights, Current, Total);
                }
            }
        }

        public DestinationStats[] Candidates { get; }

        private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

        public int[] Weights { get; }

        public long[] Current { get; }

        public long Total { get; }

        public int[]? Sequence { get; }
    }
}
