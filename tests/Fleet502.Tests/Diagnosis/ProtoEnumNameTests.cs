using Fleet502.Diagnosis;
using Fleet502.Protos.V1;

namespace Fleet502.Tests.Diagnosis;

public sealed class ProtoEnumNameTests
{
    [Theory]
    [InlineData(Cause.BackendDown, "backend_down")]
    [InlineData(Cause.Http09Response, "http09_response")]
    [InlineData(Cause.CdnOriginUnreachable, "cdn_origin_unreachable")]
    [InlineData(Cause.Unspecified, "unspecified")]
    public void ToSnakeCase_StripsTheEnumPrefix(Cause cause, string expected) =>
        Assert.Equal(expected, ProtoEnumName.ToSnakeCase(cause));

    [Fact]
    public void ToSnakeCase_WorksForOtherEnumsOfTheContract() =>
        Assert.Equal("read_header", ProtoEnumName.ToSnakeCase(Phase.ReadHeader));

    [Fact]
    public void TryParse_RoundTripsEveryCause()
    {
        foreach (var cause in Enum.GetValues<Cause>())
        {
            Assert.True(ProtoEnumName.TryParse<Cause>(ProtoEnumName.ToSnakeCase(cause), out var parsed));
            Assert.Equal(cause, parsed);
        }
    }

    [Fact]
    public void UnknownValues_FromANewerAgent_AreNumbersAndUnknownNamesDoNotParse()
    {
        Assert.Equal("99", ProtoEnumName.ToSnakeCase((Cause)99));
        Assert.False(ProtoEnumName.TryParse<Cause>("CAUSE_BACKEND_DOWN", out _));
        Assert.False(ProtoEnumName.TryParse<Cause>(null, out _));
    }
}
