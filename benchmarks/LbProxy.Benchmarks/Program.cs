using BenchmarkDotNet.Running;

namespace Benchmarks;

/// <summary>
/// One entry point for every measurement: `micro` runs the BenchmarkDotNet suites, the other verbs run
/// the harnesses (each verb's class prints its own usage).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var verb = args.Length > 0 ? args[0] : "help";
        var rest = args.Skip(1).ToArray();
        switch (verb)
        {
            case "micro":
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest);
                return 0;
            case "worker":
                return await Worker.WorkerBatchingBenchmark.RunAsync(rest);
            case "policy-load":
                return await PolicyLoad.PolicyLoadBenchmark.RunAsync(rest);
            case "backend":
                return await PolicyLoad.ProfileBackend.RunAsync(rest);
            case "yarp-plain":
                return await ProxyCost.PlainYarp.RunAsync(rest);
            case "proxy-cost":
                return await ProxyCost.ProxyCostBenchmark.RunAsync(rest);
            case "proxy-alloc":
                return await ProxyCost.ProxyAllocations.RunAsync(rest);
            case "capacity":
                return await Capacity.CapacityCommand.RunAsync(rest);
            case "soak":
                return await Soak.SoakBenchmark.RunAsync(rest);
            case "sim":
                return Sim.SimCommand.Run(rest);
            default:
                Console.WriteLine("usage: dotnet run --project benchmarks/LbProxy.Benchmarks -c Release -- <verb> [options]");
                Console.WriteLine("  micro [BenchmarkDotNet args]   policy pick cost and other micro benchmarks");
                Console.WriteLine("  worker [--rounds N] [--round-seconds S] [--concurrency C] [--httpclient]   ModelWorker batching vs unbatched (results/worker-batching.md)");
                Console.WriteLine("  " + Sim.SimOptions.Usage);
                Console.WriteLine("  " + ProxyCost.ProxyCostBenchmark.Usage);
                Console.WriteLine("  " + ProxyCost.PlainYarp.Usage);
                Console.WriteLine("  " + ProxyCost.ProxyAllocations.Usage);
                Console.WriteLine("  " + PolicyLoad.PolicyLoadBenchmark.Usage);
                Console.WriteLine("  " + Capacity.CapacityCommand.Usage);
                Console.WriteLine("  " + Soak.SoakOptions.Usage);
                return verb == "help" ? 0 : 2;
        }
    }
}
