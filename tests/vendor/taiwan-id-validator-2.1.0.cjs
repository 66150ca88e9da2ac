Object.defineProperty(exports, Symbol.toStringTag, { value: "Module" });
//#region src/business-administration-number.ts
var BAN_PATTERN = /^\d{8}$/;
var BAN_COEFFICIENTS = [
	1,
	2,
	1,
	2,
	1,
	2,
	4,
	1
];
/** Verify a Business Administration Number (營利事業統一編號). */
function isBan(input, options = {}) {
	return getBanFailureReason(input, options) === null;
}
/** Validate a Business Administration Number and return the failure reason. */
function validateBan(input, options = {}) {
	const reason = getBanFailureReason(input, options);
	return reason === null ? { valid: true } : {
		valid: false,
		reason
	};
}
function getBanFailureReason(input, options) {
	if (typeof input !== "string") return "INVALID_INPUT_TYPE";
	if (input.length !== 8) return "INVALID_LENGTH";
	if (!BAN_PATTERN.test(input)) return "INVALID_CHARACTER";
	return hasValidChecksum$1(input, options) ? null : "INVALID_CHECKSUM";
}
function hasValidChecksum$1(input, options) {
	const checksum = input.split("").reduce((sum, character, index) => {
		const product = Number(character) * BAN_COEFFICIENTS[index];
		return sum + Math.floor(product / 10) + product % 10;
	}, 0);
	const divisor = options.applyOldRules ? 10 : 5;
	const seventhDigitIsSeven = input[6] === "7";
	return checksum % divisor === 0 || seventhDigitIsSeven && (checksum + 1) % divisor === 0;
}
//#endregion
//#region src/citizen-digital-certificate-number.ts
var CITIZEN_DIGITAL_CERTIFICATE_PATTERN = /^[A-Z]{2}\d{14}$/;
/** Verify a Citizen Digital Certificate barcode (自然人憑證條碼). */
function isCdcNumber(input) {
	return getCdcNumberFailureReason(input) === null;
}
/** Validate a Citizen Digital Certificate barcode and return the failure reason. */
function validateCdcNumber(input) {
	const reason = getCdcNumberFailureReason(input);
	return reason === null ? { valid: true } : {
		valid: false,
		reason
	};
}
function getCdcNumberFailureReason(input) {
	if (typeof input !== "string") return "INVALID_INPUT_TYPE";
	if (input.length !== 16) return "INVALID_LENGTH";
	if (!CITIZEN_DIGITAL_CERTIFICATE_PATTERN.test(input)) return "INVALID_FORMAT";
	return null;
}
//#endregion
//#region src/e-invoice-donate-code.ts
var E_INVOICE_DONATION_CODE_PATTERN = /^\d{3,7}$/;
/** Verify an E-Invoice Donation Code (電子發票捐贈碼). */
function isDonateCode(input) {
	return getDonateCodeFailureReason(input) === null;
}
/** Validate an E-Invoice Donation Code and return the failure reason. */
function validateDonateCode(input) {
	const reason = getDonateCodeFailureReason(input);
	return reason === null ? { valid: true } : {
		valid: false,
		reason
	};
}
function getDonateCodeFailureReason(input) {
	if (typeof input !== "string") return "INVALID_INPUT_TYPE";
	if (input.length < 3 || input.length > 7) return "INVALID_LENGTH";
	if (!E_INVOICE_DONATION_CODE_PATTERN.test(input)) return "INVALID_CHARACTER";
	return null;
}
//#endregion
//#region src/e-invoice-mobile-barcode.ts
var E_INVOICE_MOBILE_BARCODE_PATTERN = /^\/[\dA-Z.\-+]{7}$/;
/** Verify an E-Invoice Mobile Barcode (電子發票手機條碼). */
function isMobileBarcode(input) {
	return getMobileBarcodeFailureReason(input) === null;
}
/** Validate an E-Invoice Mobile Barcode and return the failure reason. */
function validateMobileBarcode(input) {
	const reason = getMobileBarcodeFailureReason(input);
	return reason === null ? { valid: true } : {
		valid: false,
		reason
	};
}
function getMobileBarcodeFailureReason(input) {
	if (typeof input !== "string") return "INVALID_INPUT_TYPE";
	if (input.length !== 8) return "INVALID_LENGTH";
	if (input[0] !== "/") return "INVALID_PREFIX";
	if (!E_INVOICE_MOBILE_BARCODE_PATTERN.test(input)) return "INVALID_CHARACTER";
	return null;
}
//#endregion
//#region src/id-card-number.ts
var NATIONAL_ID_PATTERN = /^[A-Z][12]\d{8}$/;
var LEGACY_UI_NUMBER_PATTERN = /^[A-Z][A-D]\d{8}$/;
var CURRENT_UI_NUMBER_PATTERNS = {
	foreignOrStateless: /^[A-Z][89][0-6]\d{7}$/,
	nationalWithoutHouseholdRegistration: /^[A-Z][89]7\d{7}$/,
	hkMacaoResident: /^[A-Z][89]8\d{7}$/,
	mainlandChinaResident: /^[A-Z][89]9\d{7}$/
};
var TAIWAN_ID_LOCALE_CHECKSUMS = [
	1,
	10,
	19,
	28,
	37,
	46,
	55,
	64,
	39,
	73,
	82,
	2,
	11,
	20,
	48,
	29,
	38,
	47,
	56,
	65,
	74,
	83,
	21,
	3,
	12,
	30
];
var LEGACY_UI_SECOND_LETTER_VALUES = [
	0,
	1,
	2,
	3,
	4,
	5,
	6,
	7,
	4,
	8,
	9,
	0,
	1,
	2,
	5,
	3,
	4,
	5,
	6,
	7,
	8,
	9,
	2,
	0,
	1,
	3
];
var ID_COEFFICIENTS = [
	1,
	8,
	7,
	6,
	5,
	4,
	3,
	2,
	1,
	1
];
/**
* Verify an identification number according to the enabled Taiwan National ID
* and UI number formats.
*/
function isIdCardNumber(input, options = {}) {
	return analyzeIdCardNumber(input, options).valid;
}
/** Validate an identification number and return its category or failure reason. */
function validateIdCardNumber(input, options = {}) {
	return analyzeIdCardNumber(input, options);
}
function analyzeIdCardNumber(input, options) {
	if (typeof input !== "string") return {
		valid: false,
		reason: "INVALID_INPUT_TYPE"
	};
	if (input.length !== 10) return {
		valid: false,
		reason: "INVALID_LENGTH"
	};
	const category = getIdCardCategory(input);
	if (category === null) return {
		valid: false,
		reason: "INVALID_FORMAT"
	};
	if (!hasValidChecksum(input)) return {
		valid: false,
		reason: "INVALID_CHECKSUM",
		category
	};
	if (!isCategoryAllowed(category, options)) return {
		valid: false,
		reason: "CATEGORY_NOT_ALLOWED",
		category
	};
	return {
		valid: true,
		category
	};
}
function getIdCardCategory(input) {
	if (NATIONAL_ID_PATTERN.test(input)) return "NATIONAL_ID";
	if (LEGACY_UI_NUMBER_PATTERN.test(input)) return "UI_NUMBER_LEGACY";
	if (CURRENT_UI_NUMBER_PATTERNS.foreignOrStateless.test(input)) return "UI_NUMBER_FOREIGN_OR_STATELESS";
	if (CURRENT_UI_NUMBER_PATTERNS.nationalWithoutHouseholdRegistration.test(input)) return "UI_NUMBER_NATIONAL_WITHOUT_HOUSEHOLD_REGISTRATION";
	if (CURRENT_UI_NUMBER_PATTERNS.hkMacaoResident.test(input)) return "UI_NUMBER_HK_MACAO_RESIDENT";
	if (CURRENT_UI_NUMBER_PATTERNS.mainlandChinaResident.test(input)) return "UI_NUMBER_MAINLAND_CHINA_RESIDENT";
	return null;
}
function isCategoryAllowed(category, options) {
	if (category === "NATIONAL_ID") return options.nationalId ?? true;
	const uiNumber = options.uiNumber ?? true;
	if (typeof uiNumber === "boolean") return uiNumber;
	if (category === "UI_NUMBER_LEGACY") return uiNumber.oldFormat ?? true;
	const newFormat = uiNumber.newFormat ?? true;
	if (typeof newFormat === "boolean") return newFormat;
	switch (category) {
		case "UI_NUMBER_FOREIGN_OR_STATELESS": return newFormat.foreignOrStateless ?? true;
		case "UI_NUMBER_NATIONAL_WITHOUT_HOUSEHOLD_REGISTRATION": return newFormat.nationalWithoutHouseholdRegistration ?? true;
		case "UI_NUMBER_HK_MACAO_RESIDENT": return newFormat.hkMacaoResident ?? true;
		case "UI_NUMBER_MAINLAND_CHINA_RESIDENT": return newFormat.mainlandChinaResident ?? true;
	}
}
function hasValidChecksum(input) {
	const firstValue = TAIWAN_ID_LOCALE_CHECKSUMS[input.charCodeAt(0) - 65];
	const secondCharacter = input[1];
	return [
		firstValue,
		/\d/.test(secondCharacter) ? Number(secondCharacter) : LEGACY_UI_SECOND_LETTER_VALUES[secondCharacter.charCodeAt(0) - 65],
		...input.slice(2).split("").map(Number)
	].reduce((sum, digit, index) => sum + digit * ID_COEFFICIENTS[index], 0) % 10 === 0;
}
//#endregion
exports.isBan = isBan;
exports.isCdcNumber = isCdcNumber;
exports.isDonateCode = isDonateCode;
exports.isIdCardNumber = isIdCardNumber;
exports.isMobileBarcode = isMobileBarcode;
exports.validateBan = validateBan;
exports.validateCdcNumber = validateCdcNumber;
exports.validateDonateCode = validateDonateCode;
exports.validateIdCardNumber = validateIdCardNumber;
exports.validateMobileBarcode = validateMobileBarcode;

//# sourceMappingURL=index.cjs.map