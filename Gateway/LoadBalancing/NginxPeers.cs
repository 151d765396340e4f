namespace Gateway.LoadBalancing;

/// <summary>
/// An upstream's peers as nginx's hash and random methods walk them: every peer in config order with its weight
/// (a <c>down</c> peer keeps its place and weight, so keys map as in nginx) and whether it may be chosen now.
/// </summary>
public readonly record struct NginxPeers(int[] Weights, bool[] Usable)
{
    public int Count => Weights.Length;

    public long TotalWeight => Weights.Sum(w => (long)w);

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
