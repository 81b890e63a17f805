// Reading files the person picked or dropped, in the webview (no filesystem access
// is granted to the app).

/** The file's bytes as base64 (without the data: prefix). */
export function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const s = String(r.result ?? "");
      resolve(s.slice(s.indexOf(",") + 1));
    };
    r.onerror = () => reject({ message: `${file.name} could not be read.`, hint: "Choose the file again." });
    r.readAsDataURL(file);
  });
}

/** A media type for the file, guessed from its name when the browser gives none. */
export function mediaType(file: { name: string; type: string }): string {
  if (file.type) return file.type;
  const ext = file.name.split(".").pop()?.toLowerCase() ?? "";
  const known: Record<string, string> = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", heic: "image/heic", webp: "image/webp", pdf: "application/pdf" };
  return known[ext] ?? "application/octet-stream";
}

/** An id safe for HTML id attributes. */
export function domId(...parts: (string | null | undefined)[]): string {
  return parts.map((p) => (p ?? "x").replace(/[^A-Za-z0-9_-]/g, "_")).join("--");
}
