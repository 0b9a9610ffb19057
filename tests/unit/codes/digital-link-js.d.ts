// digital-link.js ships no types; this covers the part our tests use as a referee.
declare module 'digital-link.js' {
  interface DigitalLinkInstance {
    isValid(): boolean
    getValidationTrace(): { success: boolean; trace: { rule: string; match: string; remainder: string }[] }
    getIdentifier(): Record<string, string>
    getKeyQualifiers(): Record<string, string>
    getAttributes(): Record<string, string>
  }
  const digitalLinkJs: {
    DigitalLink(input: string): DigitalLinkInstance
  }
  export default digitalLinkJs
}
