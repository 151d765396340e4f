using ModelWorker.Models;

namespace Gateway.Tests.Worker.MultiModel;

/// <summary>The catalog read from a Triton-layout folder: names, numbered versions, the highest by default, clear errors.</summary>
public sealed class ModelRepositoryTests
{
    [Fact]
    public void Build_TritonLayout_FindsEveryVersionAndDefaultsToTheHighest()
    {
        var root = ModelFiles.Repository(("scorer", 1, ModelFiles.Tiny), ("scorer", 10, ModelFiles.Small), ("scorer", 2, ModelFiles.Tiny), ("iris", 3, ModelFiles.Small));
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "scorer", "notes")); // not a version: ignored, as Triton does
            var errors = new List<string>();

            var repository = ModelRepository.Build(ModelFiles.Small, root, errors);

            Assert.Empty(errors);
            Assert.Equal(["classifier-small", "iris", "scorer"], repository.Names);
            Assert.Equal(["1", "2", "10"], repository.Versions("scorer").Select(v => v.Key.Version));
            Assert.Equal(new ModelKey("scorer", "10"), repository.Find("scorer", null, out _)!.Key);
            Assert.Equal(new ModelKey("scorer", "2"), repository.Find("scorer", "2", out _)!.Key);
            Assert.Equal(new ModelKey("classifier-small", "1"), repository.Default.Key);
            Assert.Equal(new FileInfo(ModelFiles.Small).Length, repository.Find("iris", "3", out _)!.SizeBytes);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Find_UnknownNameOrVersion_SaysWhatExists()
    {
        var root = ModelFiles.Repository(("scorer", 1, ModelFiles.Tiny));
        try
        {
            var repository = ModelRepository.Build(ModelFiles.Small, root, []);

            Assert.Null(repository.Find("nope", null, out var unknownName));
            Assert.Null(repository.Find("scorer", "7", out var unknownVersion));

            Assert.Equal("model 'nope' is not served here; models: classifier-small, scorer", unknownName);
            Assert.Equal("model 'scorer' has no version '7'; versions: 1", unknownVersion);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Build_BadLayout_ListsEveryProblem()
    {
        var root = ModelFiles.Repository(("classifier-small", 1, ModelFiles.Tiny));
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "empty", "1")); // a version without model.onnx
            Directory.CreateDirectory(Path.Combine(root, "bad name"));
            var errors = new List<string>();

            ModelRepository.Build(ModelFiles.Small, root, errors);
            ModelRepository.Build(ModelFiles.Small, Path.Combine(root, "missing"), errors);

            Assert.Equal(4, errors.Count);
            Assert.Contains(errors, e => e.Contains("model name 'bad name' may hold only", StringComparison.Ordinal));
            Assert.Contains(errors, e => e.Contains("model 'classifier-small' is also the name of --model", StringComparison.Ordinal));
            Assert.Contains(errors, e => e.Contains("has no version directory holding a model.onnx", StringComparison.Ordinal));
            Assert.Contains(errors, e => e.Contains("is not a directory", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
