namespace Gateway.LoadBalancing;

/// <summary>The names a cluster's <c>LoadBalancingPolicy</c> can take (ours, plus YARP's built-in baselines).</summary>
public static class LoadBalancingPolicyNames
{
    public const string RoundRobin = "RoundRobin";
    public const string Weighted = "Weighted";
    public const string LeastConnections = "LeastConnections";
    public const string ConsistentHash = "ConsistentHash";
    public const string Adaptive = "Adaptive";

    // nginx's upstream methods that need a core of their own (nginx.conf translation; usable in any config).
    public const string IpHash = "IpHash";
    public const string Hash = "Hash";
    public const string HashConsistent = "HashConsistent";
    public const string RandomWeighted = "RandomWeighted";
    public const string RandomTwo = "RandomTwo";
    public const string NginxRoundRobin = "NginxRoundRobin";
    public const string NginxLeastConn = "NginxLeastConn";

    // YARP's built-ins that stay selectable as baselines.
    public const string PowerOfTwoChoices = "PowerOfTwoChoices";
    public const string LeastRequests = "LeastRequests";
    public const string Random = "Random";
    public const string FirstAlphabetical = "FirstAlphabetical";

    public static readonly IReadOnlyList<string> All =
    [
        RoundRobin, Weighted, LeastConnections, ConsistentHash, Adaptive,
        IpHash, Hash, HashConsistent, RandomWeighted, RandomTwo, NginxRoundRobin, NginxLeastConn,
        PowerOfTwoChoices, LeastRequests, Random, FirstAlphabetical,
    ];
}
