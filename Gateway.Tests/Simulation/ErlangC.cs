namespace Gateway.Tests.Simulation;

/// <summary>Queueing theory for an M/M/c station (Erlang's C formula), the reference the simulator must match.</summary>
internal static class ErlangC
{
    /// <summary>Mean time in queue before service: C(c, a) / (c mu - lambda), a = lambda / mu.</summary>
    public static double MeanWait(int servers, double lambda, double meanService)
    {
        var mu = 1 / meanService;
        var a = lambda / mu;
        var rho = a / servers;
        double term = 1, sum = 1; // a^k / k!, summed for k < c
        for (var k = 1; k < servers; k++)
        {
            term *= a / k;
            sum += term;
        }

        var last = term * a / servers / (1 - rho); // a^c / c! / (1 - rho)
        var probabilityOfWaiting = last / (sum + last);
        return probabilityOfWaiting / ((servers * mu) - lambda);
    }
}
