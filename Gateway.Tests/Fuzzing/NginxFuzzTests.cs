using System.Text;
using CsCheck;
using Gateway.Config.Nginx;

namespace Gateway.Tests.Fuzzing;

/// <summary>
/// The nginx.conf parser and translator under mutated configs (the nginx-compat examples as seeds): the only exception is
/// <see cref="NginxConfigException"/>, and one that names a file names a line in it. Directive trees printed as nginx
/// syntax parse back to the same tree.
/// </summary>
public class NginxFuzzTests
{
    private static readonly string[] s_seeds = [.. Directory.GetFiles(Path.Combine(Benchmarks.Local.LocalProcesses.RepoRoot(), "nginx-compat", "examples"), "*.conf")
        .Order(StringComparer.Ordinal).Select(File.ReadAllText)];

    [Fact]
    public void ParseAndTranslate_MutatedConfigs_OnlyNginxConfigExceptionWithItsLine()
    {
        Assert.NotEmpty(s_seeds);
        Mutations.Of(s_seeds).Sample(text =>
        {
            try
            {
                var main = NginxParser.ParseText(text, "/fuzz/nginx.conf", "/fuzz");
                NginxTranslator.Translate(main, "/fuzz/nginx.conf", "/fuzz", _ => true);
            }
            catch (NginxConfigException ex)
            {
                Assert.False(string.IsNullOrWhiteSpace(ex.Problem));
                if (ex.File.Length > 0)
                {
                    Assert.True(ex.Line >= 1, $"{ex.Message}: no line");
                    Assert.Contains($"{ex.File}:{ex.Line}", ex.Message, StringComparison.Ordinal);
                }
            }
        }, iter: FuzzBudget.Iterations, time: FuzzBudget.Seconds, threads: 1);
    }

    /// <summary>Found by the fuzzer: an IPv6 bracket never closed threw ArgumentOutOfRangeException from SplitHostPort.</summary>
    [Theory]
    [InlineData("server [app-c:8000;")]
    [InlineData("server [::1;")]
    [InlineData("server [;")]
    public void Regression_UpstreamServerWithUnclosedBracket_IsInvalidHostAtItsLine(string server)
    {
        var text = $"events {{}}\nhttp {{\n    upstream u {{\n        {server}\n    }}\n    server {{ listen 8080; location / {{ proxy_pass http://u; }} }}\n}}\n";
        var error = Assert.Throws<NginxConfigException>(() =>
            NginxTranslator.Translate(NginxParser.ParseText(text, "/fuzz/nginx.conf", "/fuzz"), "/fuzz/nginx.conf", "/fuzz", _ => true));
        Assert.Equal(4, error.Line);
        Assert.StartsWith("invalid host in upstream", error.Problem, StringComparison.Ordinal);
    }

    /// <summary>
    /// Found by the fuzzer: a NUL in a path threw ArgumentException from Path.GetFullPath, in access_log first, then
    /// (seed 8WKoJkfDb9H1) in root, then (seed 8NvRzmVs8zU1) in ssl_certificate; every directive that names a path reports
    /// it at its line.
    /// </summary>
    [Theory]
    [InlineData("", "access_log logs/a\0b.log;", 5)]
    [InlineData("", "root /srv/w\0w;", 5)]
    [InlineData("", "listen 8443 ssl; ssl_certificate c\0.pem; ssl_certificate_key k.pem;", 5)]
    [InlineData("", "proxy_ssl_trusted_certificate ca\0.pem;", 5)]
    [InlineData("error_log logs/e\0.log;\n", "", 1)]
    [InlineData("pid logs/n\0.pid;\n", "", 1)]
    public void Regression_PathWithNul_IsInvalidPathAtItsLine(string main, string server, int line)
    {
        var text = $"{main}events {{}}\nhttp {{\n    server {{\n        listen 8080;\n        {server}\n        location / {{ return 204; }}\n    }}\n}}\n";
        var error = Assert.Throws<NginxConfigException>(() =>
            NginxTranslator.Translate(NginxParser.ParseText(text, "/fuzz/nginx.conf", "/fuzz"), "/fuzz/nginx.conf", "/fuzz", _ => true));
        Assert.Equal(line, error.Line);
        Assert.StartsWith("invalid path", error.Problem, StringComparison.Ordinal);
    }

    private sealed record Node(string Name, string[] Args, Node[]? Block);

    private static readonly Gen<string> Word = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz_0123456789./:$-"], 1, 12]
        .Where(w => w != "include" && !w.StartsWith('$'));

    private static readonly Gen<string> Arg = Gen.OneOf(Word, Gen.String[Gen.Char["abc {};#'\"\\$xyz 012"], 0, 10]);

    private static readonly Gen<Node[]?> NoBlock = Gen.Const((Node[]?)null);

    private static readonly Gen<Node[]> Tree = Gen.Recursive<Node[]>((depth, tree) =>
        Gen.Select(Word, Arg.Array[0, 3], depth < 3 ? Gen.OneOf(NoBlock, tree.Select(t => (Node[]?)t)) : NoBlock)
            .Select((name, args, block) => new Node(name, args, block)).Array[0, 4]);

    [Fact]
    public void ParseText_PrintedTree_ParsesBackToTheSameTree()
    {
        Tree.Sample(tree =>
        {
            var parsed = NginxParser.ParseText(Print(tree), "/fuzz/nginx.conf", "/fuzz");
            Assert.Equal(Describe(tree), Describe(parsed));
        }, iter: FuzzBudget.Iterations, time: FuzzBudget.Seconds, threads: 1, print: Print);
    }

    /// <summary>nginx syntax: every argument single-quoted with ' and \ escaped, blocks in braces.</summary>
    private static string Print(Node[] nodes)
    {
        var text = new StringBuilder();
        foreach (var node in nodes)
        {
            text.Append(node.Name);
            foreach (var arg in node.Args)
            {
                text.Append(" '").Append(arg.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)).Append('\'');
            }

            text.Append(node.Block is null ? ";\n" : " {\n" + Print(node.Block) + "}\n");
        }

        return text.ToString();
    }

    private static string Describe(IEnumerable<Node> nodes) =>
        string.Join(";", nodes.Select(n => $"{n.Name}({string.Join("|", n.Args)}){(n.Block is null ? "" : "{" + Describe(n.Block) + "}")}"));

    private static string Describe(IEnumerable<NginxDirective> nodes) =>
        string.Join(";", nodes.Select(n => $"{n.Name}({string.Join("|", n.Args)}){(n.Block is null ? "" : "{" + Describe(n.Block) + "}")}"));
}
