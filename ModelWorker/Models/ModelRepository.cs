using System.Globalization;

namespace ModelWorker.Models;

/// <summary>
/// The models a worker can serve, by name and version: the <c>--model</c> file (name = file name without
/// extension, version 1) and, with <c>--model-repository DIR</c>, every <c>DIR/name/version/model.onnx</c> in Triton's
/// layout (version directories are positive integers; other directories are ignored, as Triton does). A request
/// without a version gets the highest one. The catalog is read once at start; models load when first used.
/// </summary>
public sealed class ModelRepository
{
    public const string ModelFileName = "model.onnx";

    private readonly Dictionary<string, ModelEntry[]> _byName; // versions ascending

    private ModelRepository(ModelEntry defaultModel, Dictionary<string, ModelEntry[]> byName)
    {
        Default = defaultModel;
        _byName = byName;
    }

    /// <summary>The <c>--model</c> file, loaded at start and never unloaded; it answers <c>POST /predict</c>.</summary>
    public ModelEntry Default { get; }

    public IEnumerable<string> Names => _byName.Keys.Order(StringComparer.Ordinal);

    /// <summary>Builds the catalog; every problem goes to <paramref name="errors"/> (the worker then exits 2 listing them).</summary>
    public static ModelRepository Build(string defaultModelPath, string? directory, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(defaultModelPath);
        ArgumentNullException.ThrowIfNull(errors);
        var defaultEntry = new ModelEntry(new ModelKey(Path.GetFileNameWithoutExtension(defaultModelPath), "1"), defaultModelPath, Size(defaultModelPath));
        var byName = new Dictionary<string, ModelEntry[]>(StringComparer.Ordinal) { [defaultEntry.Key.Name] = [defaultEntry] };
        if (directory is null)
        {
            return new ModelRepository(defaultEntry, byName);
        }

        if (!Directory.Exists(directory))
        {
            errors.Add($"--model-repository {directory} is not a directory; give a folder laid out as NAME/VERSION/{ModelFileName}");
            return new ModelRepository(defaultEntry, byName);
        }

        foreach (var modelDir in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(modelDir);
            if (!IsValidName(name))
            {
                errors.Add($"--model-repository: model name '{name}' may hold only letters, digits, '_', '-' and '.' (it is part of the URL)");
                continue;
            }

            var versions = Directory.GetDirectories(modelDir)
                .Select(d => (Dir: d, Number: long.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 0))
                .Where(v => v.Number > 0 && File.Exists(Path.Combine(v.Dir, ModelFileName)))
                .OrderBy(v => v.Number)
                .Select(v => new ModelEntry(new ModelKey(name, v.Number.ToString(CultureInfo.InvariantCulture)), Path.Combine(v.Dir, ModelFileName),
                    Size(Path.Combine(v.Dir, ModelFileName))))
                .ToArray();
            if (versions.Length == 0)
            {
                errors.Add($"--model-repository: {modelDir} has no version directory holding a {ModelFileName} (expected {Path.Combine(modelDir, "1", ModelFileName)})");
            }
            else if (byName.ContainsKey(name))
            {
                errors.Add($"--model-repository: model '{name}' is also the name of --model {defaultModelPath}; rename one of them");
            }
            else
            {
                byName[name] = versions;
            }
        }

        return new ModelRepository(defaultEntry, byName);
    }

    /// <summary>The model's versions, ascending; empty when the name is unknown.</summary>
    public IReadOnlyList<ModelEntry> Versions(string name) => _byName.GetValueOrDefault(name) ?? [];

    /// <summary>The entry for a name and version (null or empty = the highest), or null with a message saying what exists.</summary>
    public ModelEntry? Find(string name, string? version, out string? error)
    {
        error = null;
        if (!_byName.TryGetValue(name, out var versions))
        {
            error = $"model '{name}' is not served here; models: {string.Join(", ", Names)}";
            return null;
        }

        if (string.IsNullOrEmpty(version))
        {
            return versions[^1];
        }

        foreach (var entry in versions)
        {
            if (entry.Key.Version == version)
            {
                return entry;
            }
        }

        error = $"model '{name}' has no version '{version}'; versions: {string.Join(", ", versions.Select(v => v.Key.Version))}";
        return null;
    }

    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= 128 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') && name is not "." and not "..";

    private static long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
}
