namespace Gateway.LoadBalancing;

/// <summary>
/// An upstream's peers as nginx's hash and random methods walk them: every peer in config order with its weight
/// (a <c>down</c> peer keeps its place and weight, so keys map as in nginx) and whether it may be chosen now.
/// </summary>
public readonly record struct NginxPeers(int[] Weights, bool[] Usable)
{
    public int Count => Weights.Length;

    public long TotalWeight
    {
        get
        {
            long total = 0; // a loop, not LINQ's Sum: nothing allocated per pick
            foreach (var w in Weights)
            {
                total += w;
            }

            return total;
        }
    }

    /// <summary>
    /// Whether peer <paramref name="p"/> may be chosen now: usable, and allowed by <paramref name="allowed"/> (a retry's
    /// untried ones, as a <see cref="CandidateMask"/> over every peer; empty = all).
    /// </summary>
    public bool CanUse(int p, ReadOnlySpan<bool> allowed) => Usable[p] && (allowed.IsEmpty || allowed[p]);

    /// <summary>How many peers <see cref="CanUse"/>.</summary>
    public int CountUsable(ReadOnlySpan<bool> allowed)
    {
        var n = 0;
        for (var p = 0; p < Usable.Length; p++)
        {
            if (CanUse(p, allowed))
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>The peer whose share of the weight line holds <paramref name="w"/> (0 &lt;= w &lt; total), as nginx walks it.</summary>
    public int AtWeight(long w)
    {
        var p = 0;
        while (w >= Weights[p])
        {
            w -= Weights[p];
            p++;
        }

        return p;
    }
}
