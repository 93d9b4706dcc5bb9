/** Types for fft.js (radix-4 FFT, MIT), which ships none. Only what demos/spectrogram and demos/vocoder use. */
declare module 'fft.js' {
  export default class FFT {
    constructor(size: number)
    readonly size: number
    createComplexArray(): number[]
    /** Real input of length `size` → the left half of the complex spectrum, interleaved re/im. */
    realTransform(out: number[] | Float64Array, data: ArrayLike<number>): void
    completeSpectrum(spectrum: number[] | Float64Array): void
    /** Complex input (interleaved re/im) → complex output, divided by `size`. */
    inverseTransform(out: number[] | Float64Array, data: ArrayLike<number>): void
  }
}
