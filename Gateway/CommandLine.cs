namespace Gateway;

/// <summary>The gateway's command line: <c>--config FILE</c>, <c>--urls</c>, <c>--admin-urls</c>, <c>-t</c>.</summary>
public sealed record CommandLine
{
    public const string Usage = """
        usage: Gateway [--config FILE] [--urls URLS] [--admin-urls URLS] [-t]
                       [--workers N] [--model PATH] [--min-workers N] [--max-workers N] [--no-autoscale]
          (no --config)       the embedded default: a local fleet of ModelWorkers behind the gateway
          --config FILE       gateway config (JSON: a YARP "ReverseProxy" section + optional "LbProxy" section);
                              watched and hot-reloaded on save
          --urls URLS         proxy listener(s), ';'-separated (default http://127.0.0.1:8080)
          --admin-urls URLS   admin listener for /metrics and /status (default http://127.0.0.1:9901)
          --h2c-urls URLS     also listen for cleartext HTTP/2 (gRPC clients) on these, same routes (default none)
          -t, --test          check the config and exit (0 = valid), like nginx -t
          --nginx-conf FILE   run an nginx.conf (translated into the gateway's config; see nginx-compat/README.md);
                              listens where its listen directives say unless --urls is given; SIGHUP reloads
          --nginx-prefix DIR  nginx's -p: where relative pid/log paths point (default: the file's directory)
          --nginx-globals S   nginx's -g: extra main-context directives
          --nginx-dump        nginx's -T: test, then print the configuration files
          --workers N         embedded fleet: workers at start (default 3, clamped into min..max)
          --model PATH        embedded fleet: ONNX model (default the bundled classifier-small.onnx)
          --model-repository DIR  embedded fleet: also serve DIR/NAME/VERSION/model.onnx at /models/NAME/predict
          --min-workers N     embedded fleet: autoscaler minimum (default 2)
          --max-workers N     embedded fleet: autoscaler maximum (default max(4, 2 x cores))
          --no-autoscale      embedded fleet: keep exactly --workers workers
          -h, --help          this text
        """;

    public string? ConfigPath { get; init; }

    public string? NginxConfPath { get; init; }

    public string? NginxPrefix { get; init; }

    public string? NginxGlobals { get; init; }

    public bool NginxDump { get; init; }

    public bool PrintPidPath { get; init; }

    public bool UrlsGiven { get; init; }

    public IReadOnlyList<string> Urls { get; init; } = [GatewayHostOptions.DefaultUrls];

    public IReadOnlyList<string> AdminUrls { get; init; } = [GatewayHostOptions.DefaultAdminUrls];

    public IReadOnlyList<string> H2cUrls { get; init; } = [];

    public string? ModelRepository { get; init; }

    public bool TestOnly { get; init; }

    public bool Help { get; init; }

    public int? Workers { get; init; }

    public string? Model { get; init; }

    public int? MinWorkers { get; init; }

    public int? MaxWorkers { get; init; }

    public bool NoAutoscale { get; init; }

    /// <summary>The embedded default's fleet, with the command line's choices.</summary>
    public Fleet.FleetOptions FleetOptions()
    {
        var defaults = new Fleet.FleetOptions();
        return defaults with
        {
            Workers = Workers ?? defaults.Workers,
            Model = Model,
            ModelRepository = ModelRepository,
            GrpcClusterId = H2cUrls.Count > 0 ? "fleet-grpc" : null, // gRPC clients on --h2c-urls reach the workers' gRPC ports
            Autoscale = defaults.Autoscale with
            {
                Enabled = !NoAutoscale,
                MinReplicas = MinWorkers ?? defaults.Autoscale.MinReplicas,
                MaxReplicas = MaxWorkers ?? defaults.Autoscale.MaxReplicas,
            },
        };
    }

    /// <summary>Parses <paramref name="args"/>; <paramref name="error"/> says what is wrong when it returns null.</summary>
    public static CommandLine? Parse(IReadOnlyList<string> args, out string? error)
    {
        var result = new CommandLine();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var (name, inlineValue) = arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal)
                ? (arg[..arg.IndexOf('=', StringComparison.Ordinal)], arg[(arg.IndexOf('=', StringComparison.Ordinal) + 1)..])
                : (arg, null);
            string? Value()
            {
                if (inlineValue is not null)
                {
                    return inlineValue;
                }

                if (i + 1 < args.Count && !args[i + 1].StartsWith('-'))
                {
                    return args[++i];
                }

                return null;
            }

            switch (name)
            {
                case "--config":
                case "-c":
                    result = result with { ConfigPath = Value() ?? Missing(name, "a file path", ref error) };
                    break;
                case "--urls":
                    result = result with { Urls = Split(Value() ?? Missing(name, "URLs such as http://127.0.0.1:8080", ref error)), UrlsGiven = true };
                    break;
                case "--nginx-conf":
                    result = result with { NginxConfPath = Value() ?? Missing(name, "an nginx.conf path", ref error) };
                    break;
                case "--nginx-prefix":
                    result = result with { NginxPrefix = Value() ?? Missing(name, "a directory", ref error) };
                    break;
                case "--nginx-globals":
                    result = result with { NginxGlobals = inlineValue ?? (i + 1 < args.Count ? args[++i] : Missing(name, "directives", ref error)) };
                    break;
                case "--nginx-dump":
                    result = result with { NginxDump = true, TestOnly = true };
                    break;
                case "--print-pid-path":
                    result = result with { PrintPidPath = true };
                    break;
                case "--admin-urls":
                    result = result with { AdminUrls = Split(Value() ?? Missing(name, "URLs such as http://127.0.0.1:9901", ref error)) };
                    break;
                case "--h2c-urls":
                    result = result with { H2cUrls = Split(Value() ?? Missing(name, "URLs such as http://127.0.0.1:8081", ref error)) };
                    break;
                case "--model-repository":
                    result = result with { ModelRepository = Value() ?? Missing(name, "a directory", ref error) };
                    break;
                case "-t":
                case "--test":
                    result = result with { TestOnly = true };
                    break;
                case "--workers":
                    result = result with { Workers = Int(name, Value(), ref error) };
                    break;
                case "--min-workers":
                    result = result with { MinWorkers = Int(name, Value(), ref error) };
                    break;
                case "--max-workers":
                    result = result with { MaxWorkers = Int(name, Value(), ref error) };
                    break;
                case "--model":
                    result = result with { Model = Value() ?? Missing(name, "an .onnx file path", ref error) };
                    break;
                case "--no-autoscale":
                    result = result with { NoAutoscale = true };
                    break;
                case "-h":
                case "--help":
                    result = result with { Help = true };
                    break;
                default:
                    error ??= $"unknown argument '{arg}'.";
                    break;
            }
        }

        if (error is null && result.TestOnly && result.ConfigPath is null && result.NginxConfPath is null)
        {
            error = "-t needs --config FILE or --nginx-conf FILE to test.";
        }

        if (error is null && result.NginxConfPath is not null && result.ConfigPath is not null)
        {
            error = "give --config or --nginx-conf, not both.";
        }

        if (error is null && result.Model is not null && !File.Exists(result.Model))
        {
            error = $"--model {result.Model}: no such file.";
        }

        if (error is null && result.ModelRepository is not null && !Directory.Exists(result.ModelRepository))
        {
            error = $"--model-repository {result.ModelRepository}: no such directory.";
        }

        if (error is null && result.H2cUrls.Count > 0 && Tls.UrlListeners.Problems(result.Urls, result.H2cUrls) is [var first, ..])
        {
            error = first; // with --h2c-urls both lists are bound as listeners (Tls/UrlListeners)
        }

        if (error is null && result.MinWorkers > (result.MaxWorkers ?? int.MaxValue))
        {
            error = "--min-workers is above --max-workers.";
        }

        return error is null ? result : null;
    }

    private static int? Int(string name, string? text, ref string? error)
    {
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 1)
        {
            return value;
        }

        error ??= $"{name} needs an integer >= 1, got '{text}'.";
        return null;
    }

    private static string Missing(string name, string what, ref string? error)
    {
        error ??= $"{name} needs {what}.";
        return "";
    }

    private static string[] Split(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
